package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/ui"
)

// awsHost reads an AWS environment's host state for status; without
// credentials (or outside AWS) it says so and status goes on over SSH.
func awsHost(ctx context.Context, f *Factory, t *deploy.Target) *deploy.HostState {
	if t.Kind != deploy.AWS {
		return nil
	}
	h, err := deploy.Host(ctx, t, time.Now())
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "note: the host's state is unknown (%v)\n", firstLineOf(err.Error()))
		return nil
	}
	return h
}

// printHost is the host part of status on target aws.
func printHost(f *Factory, h *deploy.HostState, now time.Time) {
	if h == nil {
		return
	}
	kind := "on-demand"
	if h.Spot {
		kind = "spot"
	}
	line := fmt.Sprintf("Host %s (%s, %s): %s", h.InstanceID, h.Type, kind, h.State)
	if !h.Since.IsZero() {
		line += fmt.Sprintf(" for %s", ui.FormatDuration(now.Sub(h.Since).Truncate(time.Second)))
	}
	fmt.Fprintln(f.IO.Out, line)
	switch {
	case h.IdleOff:
		fmt.Fprintln(f.IO.Out, "Idle stop: off")
	case h.IdleStopAt != nil:
		fmt.Fprintf(f.IO.Out, "Idle stop: in %s unless there is activity (last: %s)\n",
			ui.FormatDuration(h.IdleStopAt.Sub(now).Truncate(time.Second)), h.LastActivity)
	}
	bound := ""
	if !h.Complete {
		bound = "at least "
	}
	fmt.Fprintf(f.IO.Out, "Cost: %s$%.4f an hour %s; this month so far %s$%.2f (compute since the last start)\n",
		bound, h.PerHour, h.State, bound, h.MonthSoFar)
	if h.State == "stopped" {
		fmt.Fprintln(f.IO.Out, "The environment is stopped: `mlforge start` (or `mlforge up`) resumes it.")
	}
}
