package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Flow is one of the orchestrator's deployments as status shows it: its
// schedule, its next run and how its last run ended.
type Flow struct {
	Name     string     `json:"name"` // FLOW/DEPLOYMENT
	Every    string     `json:"every,omitempty"`
	Paused   bool       `json:"paused,omitempty"`
	Next     *time.Time `json:"next,omitempty"`
	Last     *FlowRun   `json:"last,omitempty"`
	deployID string
}

// FlowRun is one run of a flow.
type FlowRun struct {
	ID      string     `json:"id"`
	State   string     `json:"state"` // COMPLETED, FAILED, CRASHED, CANCELLED, RUNNING...
	Message string     `json:"message,omitempty"`
	Start   *time.Time `json:"start,omitempty"`
	End     *time.Time `json:"end,omitempty"`
}

type prefectDeployment struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FlowID    string `json:"flow_id"`
	Paused    bool   `json:"paused"`
	Schedules []struct {
		Active   bool `json:"active"`
		Schedule struct {
			Interval *float64 `json:"interval"`
			Cron     string   `json:"cron"`
		} `json:"schedule"`
	} `json:"schedules"`
}

type prefectRun struct {
	ID                string     `json:"id"`
	StateType         string     `json:"state_type"`
	StartTime         *time.Time `json:"start_time"`
	EndTime           *time.Time `json:"end_time"`
	ExpectedStartTime *time.Time `json:"expected_start_time"`
	State             *struct {
		Message *string `json:"message"`
	} `json:"state"`
}

// Flows lists the orchestrator's deployments with their schedules, next
// runs and last finished runs, sorted by name.
func Flows(ctx context.Context, api Prober, port int) ([]Flow, error) {
	var deps []prefectDeployment
	if err := call(ctx, api, port, "/api/deployments/filter", map[string]any{}, &deps); err != nil {
		return nil, err
	}
	flows := make([]Flow, 0, len(deps))
	for _, d := range deps {
		var f struct {
			Name string `json:"name"`
		}
		if err := call(ctx, api, port, "/api/flows/"+d.FlowID, nil, &f); err != nil {
			return nil, err
		}
		fl := Flow{Name: f.Name + "/" + d.Name, Paused: d.Paused, deployID: d.ID, Every: every(d)}
		next, err := runs(ctx, api, port, d.ID, []string{"SCHEDULED"}, "EXPECTED_START_TIME_ASC")
		if err != nil {
			return nil, err
		}
		if len(next) > 0 {
			fl.Next = next[0].ExpectedStartTime
		}
		last, err := runs(ctx, api, port, d.ID, []string{"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}, "START_TIME_DESC")
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			fl.Last = last[0].run()
		}
		flows = append(flows, fl)
	}
	sort.Slice(flows, func(i, j int) bool { return flows[i].Name < flows[j].Name })
	return flows, nil
}

// every says how often a deployment's active schedule runs ("" for none).
func every(d prefectDeployment) string {
	for _, s := range d.Schedules {
		switch {
		case !s.Active:
		case s.Schedule.Interval != nil:
			return (time.Duration(*s.Schedule.Interval) * time.Second).String()
		case s.Schedule.Cron != "":
			return "cron " + s.Schedule.Cron
		}
	}
	return ""
}

// runs lists a deployment's runs in the given states, in order.
func runs(ctx context.Context, api Prober, port int, deployID string, states []string, sortBy string) ([]prefectRun, error) {
	var out []prefectRun
	err := call(ctx, api, port, "/api/flow_runs/filter", map[string]any{
		"deployments": map[string]any{"id": map[string]any{"any_": []string{deployID}}},
		"flow_runs":   map[string]any{"state": map[string]any{"type": map[string]any{"any_": states}}},
		"sort":        sortBy, "limit": 1,
	}, &out)
	return out, err
}

func (r prefectRun) run() *FlowRun {
	fr := &FlowRun{ID: r.ID, State: r.StateType, Start: r.StartTime, End: r.EndTime}
	if r.State != nil && r.State.Message != nil {
		fr.Message = *r.State.Message
	}
	return fr
}

// call does one API request (a GET without body, else a POST) and decodes
// its JSON answer.
func call(ctx context.Context, api Prober, port int, path string, body, out any) error {
	var status int
	var data []byte
	var err error
	if body == nil {
		status, data, err = api.Get(ctx, port, path)
	} else {
		var in []byte
		if in, err = json.Marshal(body); err != nil {
			return err
		}
		status, data, err = api.Post(ctx, port, path, in)
	}
	if err != nil {
		return fmt.Errorf("orchestrator %s: %w", path, err)
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return fmt.Errorf("orchestrator %s: HTTP %d: %.200s", path, status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("orchestrator %s: %w", path, err)
	}
	return nil
}
