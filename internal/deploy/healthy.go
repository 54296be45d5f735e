package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// healthy waits until every service started runs and is healthy (failing
// fast, with its logs, on one that fails), then until every service is
// healthy by the definition status uses: up succeeds only on a stack
// status calls healthy.
type healthy struct{ *run }

func (h healthy) String() string { return "check health" }

func (h healthy) Run(ctx context.Context, r pipeline.Reporter) error {
	if h.started != nil {
		if err := h.started.Wait(ctx, r); err != nil {
			return err
		}
	}
	p := h.project()
	h.checked = &stack.Healthy{Compose: p.Compose, Services: stack.Expected(p.Config.Config, h.model, h.skip), Timeout: h.opts.Timeout}
	return h.checked.Run(ctx, r)
}
