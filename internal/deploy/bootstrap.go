package deploy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
)

// bootstrapHost installs Docker Engine and Compose v2 on the host when
// they are missing (a ready host changes nothing), its own steps shown as
// the details of this one.
type bootstrapHost struct{ *run }

func (b bootstrapHost) String() string { return "Docker and Compose on the host" }

// options are the install script's: on AWS, Docker's named volumes go on
// the environment's data volume.
func (b bootstrapHost) options() bootstrap.Options {
	var o bootstrap.Options
	if b.deployment != nil {
		o.DataDevices = b.deployment.dataDevices
	}
	return o
}

// Skip implements pipeline.Skipper: a host whose login user already runs
// Docker and a recent enough Compose (with its volumes on the data
// volume, where there is one) needs no install script.
func (b bootstrapHost) Skip(ctx context.Context) (string, bool) {
	var out bytes.Buffer
	cmd := "docker version --format '{{.Server.Version}}' && docker compose version --short"
	if len(b.options().DataDevices) > 0 {
		cmd += ` && mountpoint -q "$(docker info --format '{{.DockerRootDir}}')/volumes"`
	}
	if err := b.conn.Client.Run(ctx, cmd, nil, &out, io.Discard); err != nil {
		return "", false
	}
	f := strings.Fields(out.String())
	if len(f) < 2 || !stack.ComposeAtLeast(f[1]) {
		return "", false
	}
	return "engine " + f[0] + ", compose " + f[1], true
}

func (b bootstrapHost) Run(ctx context.Context, r pipeline.Reporter) error {
	res, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: b.conn.Client}, b.options(), substeps{r})
	if err != nil {
		err = fmt.Errorf("preparing %s: %w", b.conn.Client.Address(), err)
		if hint := sshx.Hint(err); hint != "" {
			return errs.WithHint(err, hint)
		}
		return errs.WithHint(err, "fix the cause above and run `mlforge up` again: bootstrap skips what is already done")
	}
	r.Update(fmt.Sprintf("engine %s, compose %s", res.Docker, res.Compose))
	if !res.Changed {
		return nil
	}
	// The login user was just added to the docker group: only a new
	// connection carries it.
	conn, err := b.dial(ctx)
	if err != nil {
		return err
	}
	b.conn.Close()
	b.conn, b.t.conn = conn, conn
	return nil
}

// substeps shows the steps of a nested run as details of the running
// step: one status line for the whole, the nested output kept.
type substeps struct{ r pipeline.Reporter }

func (s substeps) Start(step string)   { s.r.Update(step) }
func (s substeps) Update(d string)     { s.r.Update(d) }
func (s substeps) End(error)           {}
func (s substeps) Skip(string)         {}
func (s substeps) Println(line string) { s.r.Update(strings.TrimSpace(line)) }
