package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// preflight checks the engine, compose, disk and (here) ports where the
// stack runs, before the compose file is read.
type preflight struct{ *run }

func (p preflight) String() string { return "preflight" }

func (p preflight) Run(ctx context.Context, r pipeline.Reporter) error {
	skip := map[string]bool{}
	for _, s := range p.opts.Skip {
		skip[s] = true
	}
	return p.project().Preflight(skip).Run(ctx, r)
}
