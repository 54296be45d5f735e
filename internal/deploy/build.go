package deploy

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// build builds the images whose content changed: with this machine's
// engine, or with the host's from the synced project.
type build struct{ *run }

func (b build) String() string {
	if b.opts.BuildOnHost && b.t.Remote() {
		return "build images on the host"
	}
	return "build images"
}

func (b build) Run(ctx context.Context, r pipeline.Reporter) error {
	step := b.builder().Build(b.model)
	if !b.t.Remote() {
		// What needs no build starts (and pulls) while the images build;
		// the start step still gates every service on its health.
		p := b.project()
		early := stack.Unbuilt(b.model, stack.Expected(p.Config.Config, b.model, b.skip))
		step.Meanwhile = func(ctx context.Context) func() { return stack.StartEarly(ctx, p.Compose, early) }
	}
	if b.opts.BuildOnHost && b.conn != nil {
		// Content hashes are computed from this machine's copy.
		dir, hostDir := b.t.Dir, b.conn.Dir
		step.LocalPath = func(s string) string { return filepath.Join(dir, strings.TrimPrefix(s, hostDir)) }
	}
	err := step.Run(ctx, r)
	b.res.Built, b.res.Reused = step.Built, step.Reused
	return err
}
