package deploy

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/cost"
)

// HostState is an AWS environment's host as `mlforge status` shows it.
type HostState struct {
	InstanceID string    `json:"instanceId"`
	State      string    `json:"state"` // running, stopped, pending, stopping...
	Type       string    `json:"instanceType"`
	Spot       bool      `json:"spot"`
	Since      time.Time `json:"since,omitzero"` // the last start, while running
	// IdleStopAt is when the idle stop stops the host if nothing happens,
	// as of its last check; nil when it is off or unknown.
	IdleStopAt   *time.Time `json:"idleStopAt,omitempty"`
	IdleOff      bool       `json:"idleStopOff,omitempty"`
	LastActivity string     `json:"lastActivity,omitempty"`
	// PerHour is what the environment costs an hour in this state;
	// MonthSoFar the month's cost until now, counting compute since the
	// last start only (earlier runs this month are not known here).
	PerHour    float64 `json:"perHour"`
	MonthSoFar float64 `json:"monthSoFar"`
	Complete   bool    `json:"complete"` // every price was known
}

// Host reads the state of an AWS environment's host from EC2, and, when
// the host runs and is connected (after Project or Conn), what its idle
// stop last saw.
func Host(ctx context.Context, t *Target, now time.Time) (*HostState, error) {
	if t.aws == nil {
		return nil, notAWS(t.Config)
	}
	inst, err := t.aws.instance(ctx)
	if err != nil {
		return nil, err
	}
	api, err := t.aws.api(ctx)
	if err != nil {
		return nil, err
	}
	info, err := api.DescribeInstance(ctx, inst.InstanceID)
	if err != nil {
		return nil, err
	}
	h := &HostState{InstanceID: info.ID, State: info.State, Type: info.Type, Spot: info.Spot}
	if info.State == "running" {
		h.Since = info.LaunchTime
	}
	if err := h.price(t, now); err != nil {
		return nil, err
	}
	if t.conn != nil {
		h.idle(ctx, t)
	}
	return h, nil
}

// price fills in the hourly cost in this state and the month so far.
func (h *HostState) price(t *Target, now time.Time) error {
	table, err := cost.Default()
	if err != nil {
		return err
	}
	in := CostInput(t)
	running, err := table.Estimate(in)
	if err != nil {
		return err
	}
	in.Stopped = true
	stopped, err := table.Estimate(in)
	if err != nil {
		return err
	}
	h.PerHour, h.Complete = stopped.PerHour, running.Complete && stopped.Complete
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	h.MonthSoFar = stopped.PerHour * now.Sub(monthStart).Hours()
	if h.State == "running" {
		h.PerHour = running.PerHour
		since := h.Since
		if since.Before(monthStart) {
			since = monthStart
		}
		h.MonthSoFar += (running.PerHour - stopped.PerHour) * now.Sub(since).Hours()
	}
	return nil
}

// idle reads the agent's state file on the host.
func (h *HostState) idle(ctx context.Context, t *Target) {
	var out bytes.Buffer
	if err := t.conn.Client.Run(ctx, "cat "+idle.StatePath, nil, &out, io.Discard); err != nil {
		return
	}
	s, err := idle.ParseState(out.Bytes())
	if err != nil {
		return
	}
	h.IdleOff, h.LastActivity = !s.Enabled, s.Reason
	if at, ok := s.StopsAt(); ok {
		h.IdleStopAt = &at
	}
}
