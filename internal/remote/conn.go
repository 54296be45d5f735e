package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
)

// Conn is a project's stack on a host over one SSH connection.
type Conn struct {
	Client  *sshx.Client
	Dir     string // absolute project directory on the host
	Engine  *stack.MobyEngine
	Project *stack.Project
}

// Open connects to the host and describes the project there; dir is the
// configured directory (ssh.dir), "~/mlforge/PROJECT" when empty.
func Open(ctx context.Context, o sshx.Options, cfg *config.Resolved) (*Conn, error) {
	c, err := sshx.Dial(ctx, o)
	if err != nil {
		return nil, err
	}
	t, err := describe(ctx, c, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return t, nil
}

func describe(ctx context.Context, c *sshx.Client, cfg *config.Resolved) (*Conn, error) {
	var home bytes.Buffer
	if err := c.Run(ctx, `printf %s "$HOME"`, nil, &home, io.Discard); err != nil {
		return nil, fmt.Errorf("reading the home directory on %s: %w", c.Address(), err)
	}
	dir := cfg.SSH.Dir
	if dir == "" {
		dir = "~/mlforge/" + cfg.Project
	}
	if strings.HasPrefix(dir, "~/") || dir == "~" {
		dir = path.Join(home.String(), strings.TrimPrefix(dir, "~"))
	}
	if !path.IsAbs(dir) {
		return nil, fmt.Errorf("ssh.dir %q: use an absolute path or one starting with ~/", cfg.SSH.Dir)
	}
	eng, err := Engine(c)
	if err != nil {
		return nil, err
	}
	p := &stack.Project{
		Dir:    dir,
		Config: cfg,
		Compose: &Compose{Client: c, Dir: dir, Project: cfg.ComposeProject(), Files: []string{cfg.Compose.File},
			Env: stack.ComposeEnv(cfg.Config), EnvFile: stack.EnvFileArg(cfg.Compose.EnvFile)},
		Engine: eng,
		Prober: Prober(c),
		Host:   c.Address(),
		State:  Store{Host: c, Dir: dir},
	}
	return &Conn{Client: c, Dir: dir, Engine: eng, Project: p}, nil
}

// Reconnect replaces the connection (after bootstrap added the user to the
// docker group, which only new logins see).
func (t *Conn) Reconnect(ctx context.Context, o sshx.Options, cfg *config.Resolved) error {
	c, err := sshx.Dial(ctx, o)
	if err != nil {
		return err
	}
	nt, err := describe(ctx, c, cfg)
	if err != nil {
		c.Close()
		return err
	}
	t.Close()
	*t = *nt
	return nil
}

// Close ends the connection.
func (t *Conn) Close() error {
	if t.Engine != nil {
		t.Engine.Close()
	}
	return t.Client.Close()
}
