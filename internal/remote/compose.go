// Package remote runs a project's stack on a host reached over SSH: compose
// and the Docker API go through the SSH connection (the daemon never
// listens on the network), images are shipped layer by layer, and the
// project directory is synced.
package remote

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
)

// Compose runs `docker compose` on the host, in the synced project.
type Compose struct {
	Client  *sshx.Client
	Dir     string // absolute project directory on the host
	Project string
	Files   []string
	Env     []string // KEY=VALUE
	EnvFile string   // compose.envFile when not compose's default
}

// Run implements stack.Compose.
func (c *Compose) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var b strings.Builder
	// Before the first sync the directory may not exist yet (compose
	// version, ps): those commands run from the home directory.
	b.WriteString("cd " + quote(c.Dir) + " 2>/dev/null && " + sourceSettings + "exec env")
	for _, e := range c.Env {
		b.WriteString(" " + quote(e))
	}
	b.WriteString(" docker compose --project-name " + quote(c.Project) + " --project-directory " + quote(c.Dir))
	for _, f := range c.Files {
		b.WriteString(" --file " + quote(f))
	}
	if c.EnvFile != "" {
		b.WriteString(" --env-file " + quote(c.EnvFile))
	}
	for _, a := range args {
		b.WriteString(" " + quote(a))
	}
	if err := c.Client.Run(ctx, b.String(), nil, stdout, stderr); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("docker compose %s on %s: %w", strings.Join(args, " "), c.Client.Address(), err)
	}
	return nil
}

// Prober returns a stack.Prober reaching the host's loopback ports through
// the SSH connection.
func Prober(c *sshx.Client) stack.Prober {
	return stack.HTTPProber{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.DialContext(ctx, "tcp", addr)
		},
		DisableKeepAlives: true,
	}}
}

// Engine returns the host's Docker engine, reached through its socket over
// the SSH connection.
func Engine(c *sshx.Client) (*stack.MobyEngine, error) {
	return stack.NewEngineDialer(func(ctx context.Context, _, _ string) (net.Conn, error) {
		return c.DialContext(ctx, "unix", "/var/run/docker.sock")
	}, "ssh://"+c.Address())
}
