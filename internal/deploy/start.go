package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// start records the services not to start, then starts the others (compose
// recreates only what changed) and waits until each runs and is healthy.
type start struct{ *run }

func (s start) String() string { return "start services" }

func (s start) Run(ctx context.Context, r pipeline.Reporter) error {
	p := s.project()
	if err := stack.SaveSkipped(ctx, p.State, s.skip); err != nil {
		return err
	}
	return p.Start(s.model, s.skip, s.opts.Timeout).Run(ctx, r)
}
