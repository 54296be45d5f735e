package swarm

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// Label gives every configured node the role mlforge.yaml lists it under
// (promoting or demoting), makes it available for tasks, and sets its
// labels: the host it is, serving on every node, tracking on the first
// manager, training on the training hosts. Labels mlforge does not own
// are kept.
type Label struct {
	Form *Form // the formed swarm: leader and node IDs

	Changed []string // hosts whose node changed
}

func (l *Label) String() string { return "label the nodes by role" }

// Run implements pipeline.Step.
func (l *Label) Run(ctx context.Context, r pipeline.Reporter) error {
	m := l.Form.Leader.API
	res, err := m.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	byID := map[string]swarm.Node{}
	for _, n := range res.Items {
		byID[n.ID] = n
	}
	for i, h := range l.Form.Hosts {
		n, ok := byID[l.Form.IDs[h.Name]]
		if !ok {
			return fmt.Errorf("%s (node %s) is not among the swarm's nodes", h.Name, l.Form.IDs[h.Name])
		}
		want := desiredSpec(n.Spec, h, i == 0)
		if specEqual(n.Spec, want) {
			continue
		}
		r.Update("updating " + h.Name)
		if _, err := m.NodeUpdate(ctx, n.ID, client.NodeUpdateOptions{Version: n.Version, Spec: want}); err != nil {
			return fmt.Errorf("updating the node of %s: %w", h.Name, err)
		}
		l.Changed = append(l.Changed, h.Name)
	}
	r.Update(fmt.Sprintf("%d nodes, %d changed", len(l.Form.Hosts), len(l.Changed)))
	return nil
}

// desiredSpec is the node spec the configuration asks for.
func desiredSpec(cur swarm.NodeSpec, h *Host, tracking bool) swarm.NodeSpec {
	s := cur
	s.Labels = map[string]string{}
	for k, v := range cur.Labels {
		if !strings.HasPrefix(k, "mlforge.") {
			s.Labels[k] = v
		}
	}
	s.Labels[LabelHost] = h.Name
	s.Labels[LabelServing] = "true"
	if tracking {
		s.Labels[LabelTracking] = "true"
	}
	if h.Training {
		s.Labels[LabelTraining] = "true"
	}
	s.Role = swarm.NodeRoleWorker
	if h.Manager {
		s.Role = swarm.NodeRoleManager
	}
	s.Availability = swarm.NodeAvailabilityActive
	return s
}

func specEqual(a, b swarm.NodeSpec) bool {
	return a.Role == b.Role && a.Availability == b.Availability && maps.Equal(a.Labels, b.Labels)
}
