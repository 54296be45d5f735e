package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
)

// connect opens the SSH connection to the host, its key verified (from
// known_hosts, or pinned when mlforge created the machine).
type connect struct{ *run }

func (c connect) String() string { return "connect to " + c.hostOptions().Address() }

func (c connect) Run(ctx context.Context, r pipeline.Reporter) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	c.conn, c.t.conn = conn, conn
	r.Update(conn.Dir)
	return nil
}

// hostOptions reach the host: the configured one, or the instance just
// provisioned.
func (r *run) hostOptions() sshx.Options {
	if r.t.Kind == AWS {
		return r.instance.SSHOptions()
	}
	return r.t.host
}

// dial connects to the host and describes the project there.
func (r *run) dial(ctx context.Context) (*remote.Conn, error) {
	o := r.hostOptions()
	conn, err := remote.Open(ctx, o, r.t.Config)
	if err != nil {
		return nil, connectError(o, err)
	}
	return conn, nil
}
