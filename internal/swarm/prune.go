package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// Prune takes out of the swarm the nodes mlforge added for hosts that
// are no longer in mlforge.yaml: demoted when managers, drained (their
// tasks start elsewhere first), made to leave, then removed. Nodes
// without mlforge's host label (added by hand) are left alone.
type Prune struct {
	Form *Form
	// Dial reaches a departed host's engine (its address is its host
	// label) so it leaves the swarm itself; when it cannot be reached the
	// node is removed without it.
	Dial func(ctx context.Context, host string) (Engine, func(), error)
	// Timeout bounds the wait for a drained node's tasks to move.
	Timeout time.Duration
	// DownWait bounds the wait for a node that left to be seen down (30s).
	DownWait time.Duration
	Poll     time.Duration

	departed []swarm.Node
	Removed  []string
}

func (p *Prune) String() string { return "remove hosts no longer listed" }

// Skip implements pipeline.Skipper: every labelled node is a configured host.
func (p *Prune) Skip(ctx context.Context) (string, bool) {
	res, err := p.Form.Leader.API.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return "", false // Run reports it
	}
	listed := map[string]bool{}
	for _, id := range p.Form.IDs {
		listed[id] = true
	}
	p.departed = nil
	for _, n := range res.Items {
		if n.Spec.Labels[LabelHost] != "" && !listed[n.ID] {
			p.departed = append(p.departed, n)
		}
	}
	if len(p.departed) == 0 {
		return "every node is listed in mlforge.yaml", true
	}
	return "", false
}

// Run implements pipeline.Step.
func (p *Prune) Run(ctx context.Context, r pipeline.Reporter) error {
	if p.departed == nil {
		if _, skip := p.Skip(ctx); skip {
			return nil
		}
	}
	for _, n := range p.departed {
		host := n.Spec.Labels[LabelHost]
		if err := p.remove(ctx, r, n); err != nil {
			return fmt.Errorf("removing %s from the swarm: %w", host, err)
		}
		p.Removed = append(p.Removed, host)
	}
	r.Update(fmt.Sprintf("%d removed", len(p.Removed)))
	return nil
}

// remove drains one node, lets it leave and removes it.
func (p *Prune) remove(ctx context.Context, r pipeline.Reporter, n swarm.Node) error {
	m := p.Form.Leader.API
	host := n.Spec.Labels[LabelHost]
	spec := n.Spec
	spec.Role, spec.Availability = swarm.NodeRoleWorker, swarm.NodeAvailabilityDrain
	r.Update("draining " + host)
	if _, err := m.NodeUpdate(ctx, n.ID, client.NodeUpdateOptions{Version: n.Version, Spec: spec}); err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	// A node that is down runs nothing: the swarm has already started
	// its tasks elsewhere.
	if n.Status.State != swarm.NodeStateDown {
		if err := p.waitDrained(ctx, r, n.ID, host); err != nil {
			return err
		}
	}
	if p.Dial != nil {
		if eng, closeFn, err := p.Dial(ctx, host); err == nil {
			_, lerr := eng.SwarmLeave(ctx, client.SwarmLeaveOptions{})
			closeFn()
			if lerr != nil {
				r.Println(fmt.Sprintf("   %s did not leave by itself (%v): removing its node", host, lerr))
			}
		} else {
			r.Println(fmt.Sprintf("   %s is not reachable (%v): removing its node", host, err))
		}
	}
	down := p.waitDown(ctx, n.ID)
	if _, err := m.NodeRemove(ctx, n.ID, client.NodeRemoveOptions{Force: !down}); err != nil {
		return fmt.Errorf("removing node %s: %w", n.ID, err)
	}
	return nil
}

// waitDrained waits until no task runs on the node any more.
func (p *Prune) waitDrained(ctx context.Context, r pipeline.Reporter, id, host string) error {
	deadline := time.Now().Add(orDefault(p.Timeout, 2*time.Minute))
	for {
		res, err := p.manager().TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("node", id).Add("desired-state", "running")})
		if err != nil {
			return fmt.Errorf("listing the tasks of %s: %w", host, err)
		}
		left := 0
		for _, t := range res.Items {
			if !terminal(t.Status.State) {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		r.Update(fmt.Sprintf("draining %s: %d tasks left", host, left))
		if time.Now().After(deadline) {
			r.Println(fmt.Sprintf("   %s still runs %d tasks after %s: they stop with it", host, left, ui.FormatDuration(orDefault(p.Timeout, 2*time.Minute))))
			return nil
		}
		if err := sleep(ctx, orDefault(p.Poll, time.Second)); err != nil {
			return err
		}
	}
}

// waitDown waits a little for a node that left to be seen as down.
func (p *Prune) waitDown(ctx context.Context, id string) bool {
	deadline := time.Now().Add(orDefault(p.DownWait, 30*time.Second))
	for time.Now().Before(deadline) {
		res, err := p.manager().NodeList(ctx, client.NodeListOptions{Filters: make(client.Filters).Add("id", id)})
		if err == nil && len(res.Items) == 1 && res.Items[0].Status.State == swarm.NodeStateDown {
			return true
		}
		if sleep(ctx, orDefault(p.Poll, time.Second)) != nil {
			return false
		}
	}
	return false
}

func (p *Prune) manager() Manager { return p.Form.Leader.API }

// terminal reports task states that will not run again.
func terminal(s swarm.TaskState) bool {
	switch s {
	case swarm.TaskStateComplete, swarm.TaskStateShutdown, swarm.TaskStateFailed, swarm.TaskStateRejected,
		swarm.TaskStateRemove, swarm.TaskStateOrphaned:
		return true
	}
	return false
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
