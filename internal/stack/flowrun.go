package stack

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// terminal are the states a flow run ends in.
var terminal = map[string]bool{"COMPLETED": true, "FAILED": true, "CRASHED": true, "CANCELLED": true}

// RunFlow starts a run of the orchestrator's deployment name (FLOW/
// DEPLOYMENT, or a deployment name that only one flow has) and waits until
// it ends, calling progress with each new state; the run tells how it
// ended.
func RunFlow(ctx context.Context, api Prober, port int, name string, progress func(state string)) (*FlowRun, error) {
	flows, err := Flows(ctx, api, port)
	if err != nil {
		return nil, err
	}
	fl, err := findFlow(flows, name)
	if err != nil {
		return nil, err
	}
	var created prefectRun
	if err := call(ctx, api, port, "/api/deployments/"+fl.deployID+"/create_flow_run", map[string]any{"parameters": map[string]any{}}, &created); err != nil {
		return nil, err
	}
	last := ""
	for {
		var r prefectRun
		if err := call(ctx, api, port, "/api/flow_runs/"+created.ID, nil, &r); err != nil {
			return nil, err
		}
		if r.StateType != last {
			last = r.StateType
			progress(last)
		}
		if terminal[r.StateType] {
			return r.run(), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// findFlow picks the flow a name means.
func findFlow(flows []Flow, name string) (Flow, error) {
	var match []Flow
	var names []string
	for _, f := range flows {
		names = append(names, f.Name)
		_, dep, _ := strings.Cut(f.Name, "/")
		if f.Name == name || dep == name {
			match = append(match, f)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return Flow{}, fmt.Errorf("no flow %q in the orchestrator (flows: %s)", name, strings.Join(names, ", "))
	}
	return Flow{}, fmt.Errorf("%q names several flows: say FLOW/DEPLOYMENT (flows: %s)", name, strings.Join(names, ", "))
}
