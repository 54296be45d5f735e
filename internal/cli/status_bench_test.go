package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkStatus measures `mlforge status` on an aws target against the
// same stack reached as an ssh target. On aws the host, user and pinned
// key come from the environment's state and outputs (no key generation,
// no caller-address lookup, no cloud-init rendering); status also asks
// EC2 (moto here) for the instance's state and prices the month so far.
//
//	go test -run '^$' -bench BenchmarkStatus -benchtime 20x ./internal/cli/
func BenchmarkStatus(b *testing.B) {
	g := startGlue(b)
	if r := runWith(b, g.f, "up", "--yes"); r.code != 0 {
		b.Fatalf("up --target aws: exit %d\n%s", r.code, r.errOut)
	}
	// The same host as an ssh target, pinned to the key it presents now
	// (up rotated the first-boot key).
	pub := strings.Fields(g.host.Exec(b, "cat /etc/ssh/ssh_host_ed25519_key.pub"))
	known := filepath.Join(b.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(fmt.Sprintf("[127.0.0.1]:%d %s %s\n", g.host.Port, pub[0], pub[1])), 0o600); err != nil {
		b.Fatal(err)
	}
	ssh := []string{"status", "--target", "ssh", "--host", fmt.Sprintf("root@127.0.0.1:%d", g.host.Port),
		"--identity", g.keys.KeyFile, "--known-hosts", known}
	for _, c := range []struct {
		name string
		args []string
	}{{"aws", []string{"status"}}, {"ssh", ssh}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if r := runWith(b, g.f, c.args...); r.code != 0 {
					b.Fatalf("mlforge %s: exit %d\n%s%s", strings.Join(c.args, " "), r.code, r.out, r.errOut)
				}
			}
		})
	}
}
