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

// Skip implements pipeline.Skipper, on this machine: when the compose
// model, the services and their images are those the last start recorded
// and every service still runs ready, compose up would change nothing.
// (On a host, the settings and the synced files also count, and the
// model is read here: there it always runs.)
func (s start) Skip(ctx context.Context) (string, bool) {
	if s.t.Remote() {
		return "", false
	}
	p := s.project()
	last, err := stack.LoadStarted(ctx, p.State)
	if err != nil || last == "" {
		return "", false
	}
	step := s.services()
	if now, err := step.Fingerprint(ctx, s.model); err != nil || now != last || !step.Ready(ctx) {
		return "", false
	}
	return "all running, nothing changed since the last up", true
}

func (s start) Run(ctx context.Context, r pipeline.Reporter) error {
	p := s.project()
	// Only this machine keeps the record Skip reads (a host's would cost
	// a round trip each up, for nothing). A start that fails part way
	// leaves no record to trust.
	local := !s.t.Remote()
	if local {
		if err := stack.SaveStarted(ctx, p.State, ""); err != nil {
			return err
		}
	}
	if err := stack.SaveSkipped(ctx, p.State, s.skip); err != nil {
		return err
	}
	step := s.services()
	if err := step.Run(ctx, r); err != nil {
		return err
	}
	if !local {
		return nil
	}
	fp, err := step.Fingerprint(ctx, s.model)
	if err != nil {
		return nil // no record: the next up runs compose up again
	}
	return stack.SaveStarted(ctx, p.State, fp)
}

// services is the stack's start of the services not skipped.
func (s start) services() *stack.StartServices {
	return s.project().Start(s.model, s.skip, s.opts.Timeout)
}
