package swarm

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
)

// defaultRoute stands for "anywhere" when asking a host which source
// address it would use (TEST-NET-1: routed by the default route, never
// contacted).
const defaultRoute = "192.0.2.1"

// advertiseAddr is the address h announces to the other nodes: the one
// configured, else the source address of its route towards the swarm
// (towards; the default route for the first manager). A host whose
// routes cannot be read (no ip command) leaves the choice to Docker, which
// picks the address of its only interface or says that it cannot choose.
func advertiseAddr(ctx context.Context, h *Host, towards string) (string, error) {
	if h.Addr != "" {
		return h.Addr, nil
	}
	if towards == "" {
		towards = defaultRoute
	}
	if _, err := netip.ParseAddr(towards); err != nil {
		return "", nil
	}
	var out bytes.Buffer
	if err := h.Shell.Run(ctx, "ip -o -4 route get "+towards, nil, &out, io.Discard); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil
	}
	return routeSource(out.String()), nil
}

// routeSource reads the source address from `ip route get` output
// ("192.0.2.1 via 172.17.0.1 dev eth0 src 172.17.0.4 uid 0").
func routeSource(out string) string {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "src" {
			if a, err := netip.ParseAddr(f[i+1]); err == nil {
				return a.String()
			}
		}
	}
	return ""
}
