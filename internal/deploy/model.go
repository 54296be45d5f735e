package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// serveModel trains the first model when the registry has none, then
// waits until the model service serves one.
type serveModel struct{ *run }

func (m serveModel) String() string { return "serve a model" }

// step is the stack's step, made once per run: Skip learns what Run uses.
func (m serveModel) step() *stack.EnsureModel {
	if m.ensure == nil {
		m.ensure = m.project().EnsureModel(m.opts.Timeout)
	}
	return m.ensure
}

// Skip implements pipeline.Skipper: a model is already served.
func (m serveModel) Skip(ctx context.Context) (string, bool) {
	reason, skip := m.step().Skip(ctx)
	m.res.ModelVersion = m.ensure.Version
	return reason, skip
}

func (m serveModel) Run(ctx context.Context, r pipeline.Reporter) error {
	err := m.step().Run(ctx, r)
	m.res.Trained, m.res.ModelVersion = m.ensure.Trained, m.ensure.Version
	return err
}
