package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// FlowRun is a Prefect flow run as the server's REST API returns it.
type FlowRun struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	StateType  string         `json:"state_type"` // SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, CRASHED, ...
	StateName  string         `json:"state_name"`
	State      *FlowRunState  `json:"state"`
	Parameters map[string]any `json:"parameters"`
	Created    time.Time      `json:"created"`
	StartTime  *time.Time     `json:"start_time"`
	EndTime    *time.Time     `json:"end_time"`
}

// FlowRunState is the part of a run's state the tests read.
type FlowRunState struct {
	Message string `json:"message"`
}

// Message is the final state's message ("" when there is none).
func (r FlowRun) Message() string {
	if r.State == nil {
		return ""
	}
	return r.State.Message
}

// Final reports whether the run has ended.
func (r FlowRun) Final() bool {
	switch r.StateType {
	case "COMPLETED", "FAILED", "CANCELLED", "CRASHED":
		return true
	}
	return false
}

// FlowRuns lists the runs of a deployment (by its name), newest first,
// through POST /api/flow_runs/filter on the Prefect server at port.
func FlowRuns(ctx context.Context, port int, deployment string) ([]FlowRun, error) {
	body, err := json.Marshal(map[string]any{
		"deployments": map[string]any{"name": map[string]any{"any_": []string{deployment}}},
		"sort":        "ID_DESC",
		"limit":       200,
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, Local(port, "/api/flow_runs/filter"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing the runs of %s: %w", deployment, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing the runs of %s: status %d: %s", deployment, resp.StatusCode, data)
	}
	var runs []FlowRun
	if err := json.Unmarshal(data, &runs); err != nil {
		return nil, fmt.Errorf("listing the runs of %s: %w", deployment, err)
	}
	return runs, nil
}

// WaitFlowRun polls the runs of a deployment until one satisfies ok and
// returns it; the error lists the runs seen last.
func WaitFlowRun(ctx context.Context, port int, deployment string, ok func(FlowRun) bool, timeout time.Duration) (FlowRun, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []FlowRun
	var lastErr error
	for {
		runs, err := FlowRuns(ctx, port, deployment)
		if err == nil {
			last = runs
			for _, r := range runs {
				if ok(r) {
					return r, nil
				}
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return FlowRun{}, fmt.Errorf("waiting %s for a run of %s: runs %s (last error: %v)", timeout, deployment, Describe(last), lastErr)
		case <-time.After(time.Second):
		}
	}
}

// Describe lists runs as name, state and message, for failure messages.
func Describe(runs []FlowRun) string {
	var b bytes.Buffer
	for _, r := range runs {
		fmt.Fprintf(&b, "\n  %s %s %q %v", r.Name, r.StateName, r.Message(), r.Parameters)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
