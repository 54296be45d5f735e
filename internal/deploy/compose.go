package deploy

import (
	"context"
	"fmt"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// readCompose reads the compose model where the images are built (here,
// or from the synced copy on a host that builds them) and the services
// not to start.
type readCompose struct{ *run }

func (c readCompose) String() string { return "read the compose file" }

func (c readCompose) Run(ctx context.Context, r pipeline.Reporter) error {
	model, err := stack.LoadModel(ctx, c.builder().Compose)
	if err != nil {
		return err
	}
	skip, err := stack.SkipSet(model, c.t.Config.Config, c.opts.Skip)
	if err != nil {
		return errs.Usage(err)
	}
	c.model, c.skip = model, skip
	r.Update(fmt.Sprintf("%d services", len(model.Services)))
	return nil
}
