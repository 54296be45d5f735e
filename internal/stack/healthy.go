package stack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// Healthy waits until every expected service is healthy by the definition
// `status` uses (States), so `mlforge up && mlforge status` never fails on
// a stack that up reported ready: a model server still "starting" in its
// own health check after it loaded its first model is waited for here.
type Healthy struct {
	Compose  Compose
	Services []Service
	Timeout  time.Duration
	Poll     time.Duration

	// List holds the containers as last seen, for the endpoints table.
	List []Container
}

func (h *Healthy) String() string { return "check health" }

// Run implements pipeline.Step.
func (h *Healthy) Run(ctx context.Context, r pipeline.Reporter) error {
	timeout, poll := h.Timeout, h.Poll
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	if poll == 0 {
		poll = time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		list, err := PS(ctx, h.Compose)
		if err != nil {
			return err
		}
		h.List = list
		var waiting []string
		for _, s := range States(h.Services, list) {
			if !s.Healthy {
				waiting = append(waiting, s.Service+" ("+s.State+")")
			}
		}
		if len(waiting) == 0 {
			r.Update(fmt.Sprintf("%d services healthy", len(h.Services)))
			return nil
		}
		r.Update("waiting for " + strings.Join(waiting, ", "))
		if time.Now().After(deadline) {
			name, _, _ := strings.Cut(waiting[0], " ")
			return errs.WithHint(fmt.Errorf("not healthy after %s: %s", ui.FormatDuration(timeout), strings.Join(waiting, ", ")),
				fmt.Sprintf("`mlforge logs %s` shows why; run `mlforge up` again once it is fixed", name))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
