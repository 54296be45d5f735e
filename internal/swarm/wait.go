package swarm

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// Wait waits until every expected service is healthy by States. Lenient
// services only need their tasks started (the model server before its
// first model: its own health may wait for one).
type Wait struct {
	API      Manager
	Stack    string
	Services []string
	Lenient  map[string]bool
	Timeout  time.Duration
	Poll     time.Duration
	// Name is the step's name ("check health" by default).
	Name string
	// Marks are UpdateMarks from before the deploy: an update started
	// since is waited for to the end, and one that rolled back (or
	// paused) fails the wait.
	Marks map[string]time.Time

	// States holds the services as last seen.
	States []ServiceState
}

func (w *Wait) String() string {
	if w.Name != "" {
		return w.Name
	}
	return "check health"
}

// Run implements pipeline.Step.
func (w *Wait) Run(ctx context.Context, r pipeline.Reporter) error {
	timeout := orDefault(w.Timeout, 5*time.Minute)
	deadline := time.Now().Add(timeout)
	for {
		states, err := States(ctx, w.API, w.Stack, w.Services)
		if err != nil {
			return err
		}
		w.States = states
		if err := w.rolledBack(states); err != nil {
			return err
		}
		waiting := w.waiting(states)
		if len(waiting) == 0 {
			r.Update(fmt.Sprintf("%d services healthy", len(states)))
			return nil
		}
		r.Update("waiting for " + strings.Join(waiting, "; "))
		if time.Now().After(deadline) {
			name, _, _ := strings.Cut(waiting[0], " ")
			return errs.WithHint(fmt.Errorf("not healthy after %s: %s", ui.FormatDuration(timeout), strings.Join(waiting, "; ")),
				fmt.Sprintf("`mlforge logs %s` shows why; run `mlforge up` again once it is fixed", name))
		}
		if err := sleep(ctx, orDefault(w.Poll, 2*time.Second)); err != nil {
			return err
		}
	}
}

// ours reports whether s's last update started after the marks.
func (w *Wait) ours(s ServiceState) bool {
	if w.Marks == nil {
		return false
	}
	return !s.updateStarted.IsZero() && !s.updateStarted.Equal(w.Marks[s.Service])
}

// rolledBack fails on an update of this deploy that the swarm rolled
// back or paused: the new version did not come up.
func (w *Wait) rolledBack(states []ServiceState) error {
	for _, s := range states {
		switch swarm.UpdateState(s.Update) {
		case swarm.UpdateStateRollbackCompleted, swarm.UpdateStatePaused, swarm.UpdateStateRollbackPaused:
			if w.ours(s) {
				return errs.WithHint(fmt.Errorf("the new version of %s did not come up and was rolled back (%s): %s", s.Service, s.Update, s.UpdateMessage),
					fmt.Sprintf("`mlforge logs %s` shows why; the previous version still serves", s.Service))
			}
		}
	}
	return nil
}

// waiting describes the services not ready yet.
func (w *Wait) waiting(states []ServiceState) []string {
	var out []string
	for _, s := range states {
		ready := s.Healthy || (w.Lenient[s.Service] && s.Desired > 0 && s.Running+s.Starting >= s.Desired)
		if ready && !(w.ours(s) && s.Rolling()) {
			continue
		}
		d := s.Service + " (" + s.State
		if s.Failed != "" {
			d += "; last task failed: " + s.Failed
		}
		out = append(out, d+")")
	}
	return out
}
