package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// Pending is an operation an interrupted run left unfinished: the engine
// does not know whether the resource exists.
type Pending struct {
	Op   string `json:"op"` // creating, updating, deleting, reading
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
	ID   string `json:"id,omitempty"`
}

// PendingOperations lists what an interrupted run (Ctrl-C, a crash, a lost
// network) left unfinished in the stack's state.
func (e *Infra) PendingOperations(ctx context.Context) ([]Pending, error) {
	dep, err := e.stack.Export(ctx)
	if err != nil {
		return nil, e.explain(ctx, "reading the state of", err)
	}
	var state struct {
		Pending []struct {
			Type     string `json:"type"`
			Resource struct {
				URN  string `json:"urn"`
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"resource"`
		} `json:"pending_operations"`
	}
	if len(dep.Deployment) > 0 {
		if err := json.Unmarshal(dep.Deployment, &state); err != nil {
			return nil, fmt.Errorf("reading the state of %s: %w", e.Name(), err)
		}
	}
	var out []Pending
	for _, p := range state.Pending {
		out = append(out, Pending{Op: p.Type, Type: p.Resource.Type, Name: urnName(p.Resource.URN), URN: p.Resource.URN, ID: p.Resource.ID})
	}
	return out, nil
}

// settlePending makes an interrupted run's leftovers explicit before an up:
// it names the unfinished operations, then refreshes the stack clearing
// them (the engine refuses to guess whether an interrupted create
// happened). A resource whose creation was interrupted may exist untracked;
// the warning says how to find it.
func (e *Infra) settlePending(ctx context.Context, sink Sink) error {
	pending, err := e.PendingOperations(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	var lines []string
	for _, p := range pending {
		lines = append(lines, fmt.Sprintf("%s %s %s", p.Op, ShortType(p.Type), p.Name))
	}
	if sink != nil {
		sink.Diagnostic("warning", fmt.Sprintf("an earlier run of %s was interrupted with %d operations unfinished (%s); refreshing the stack and going on. "+
			"A resource whose creation was interrupted may exist without being tracked: look for resources tagged mlforge:project=%s, mlforge:environment=%s and delete any this run duplicates",
			e.Name(), len(pending), strings.Join(lines, ", "), e.opts.Project, e.opts.Env))
	}
	ch, wait := stream(sink)
	_, err = e.stack.Refresh(ctx, optrefresh.EventStreams(ch), optrefresh.SuppressProgress(), optrefresh.ClearPendingCreates())
	wait()
	if err != nil {
		return e.explain(ctx, "settling the interrupted operations of", err)
	}
	return nil
}

// UpTargets updates only the given resources (and nothing else), for
// example the data resources before a destroy that deletes them.
func (e *Infra) UpTargets(ctx context.Context, sink Sink, urns []string) error {
	if len(urns) == 0 {
		return nil
	}
	ch, wait := stream(sink)
	_, err := e.stack.Up(ctx, optup.EventStreams(ch), optup.SuppressProgress(), optup.Target(urns))
	wait()
	if err != nil {
		return e.explain(ctx, "updating", err)
	}
	return nil
}
