package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
)

// writeSettings records the target's compose settings on the host (on AWS:
// the artifact store in the environment's bucket), or removes a stale
// record on a target without settings.
type writeSettings struct{ *run }

func (w writeSettings) String() string { return "deployment settings" }

func (w writeSettings) step() *remote.WriteSettings {
	s := &remote.WriteSettings{Host: w.conn.Client, Dir: w.conn.Dir}
	if w.deployment != nil {
		s.Values = w.deployment.settings
	}
	return s
}

// Skip implements pipeline.Skipper: no settings, and none on the host.
func (w writeSettings) Skip(ctx context.Context) (string, bool) { return w.step().Skip(ctx) }

func (w writeSettings) Run(ctx context.Context, r pipeline.Reporter) error {
	step := w.step()
	err := step.Run(ctx, r)
	w.settings = step.Hash
	return err
}
