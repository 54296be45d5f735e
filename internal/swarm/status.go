package swarm

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/stack"
)

// NodeState is one node of the swarm as status shows it.
type NodeState struct {
	Host         string   `json:"host"` // as mlforge.yaml lists it (its hostname when mlforge did not add it)
	Hostname     string   `json:"hostname"`
	ID           string   `json:"id"`
	Role         string   `json:"role"`         // manager, worker
	State        string   `json:"state"`        // ready, down, unknown, disconnected
	Availability string   `json:"availability"` // active, pause, drain
	Leader       bool     `json:"leader"`
	Roles        []string `json:"roles"` // tracking, training, serving
	Address      string   `json:"address"`
}

// Report is a stack on a swarm as `mlforge status` shows it.
type Report struct {
	Project      string           `json:"project"`
	Healthy      bool             `json:"healthy"`
	Nodes        []NodeState      `json:"nodes"`
	Services     []ServiceState   `json:"services"`
	Endpoints    []stack.Endpoint `json:"endpoints"`
	ModelVersion string           `json:"modelVersion,omitempty"`
	Drift        []stack.Drift    `json:"drift"`
}

// Inspect reads the swarm's nodes, the expected services' tasks per
// node, the endpoints (on the tracking node's loopback, reached through
// prober), the served model version and the last drift measured. The
// stack is healthy when every service is and every node mlforge added is
// ready.
func Inspect(ctx context.Context, m Manager, p stack.Prober, cfg *config.Config, stackName string, expected []string) (*Report, error) {
	nodes, err := m.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	states, err := States(ctx, m, stackName, expected)
	if err != nil {
		return nil, err
	}
	r := &Report{Project: cfg.Project, Services: states, Drift: []stack.Drift{}}
	r.Healthy = AllHealthy(states)
	for _, n := range nodes.Items {
		ns := nodeState(n)
		if n.Spec.Labels[LabelHost] != "" && ns.State != string(swarm.NodeStateReady) {
			r.Healthy = false
		}
		r.Nodes = append(r.Nodes, ns)
	}
	sort.Slice(r.Nodes, func(i, j int) bool { return r.Nodes[i].Host < r.Nodes[j].Host })
	running := map[string]bool{}
	var list []stack.Container
	for _, s := range states {
		running[s.Service] = s.Running > 0
		c := stack.Container{Service: s.Service, State: "running"}
		if !s.Healthy {
			c.State = s.State
		}
		list = append(list, c)
	}
	r.Endpoints = stack.Endpoints(cfg, &stack.Model{Services: map[string]stack.Service{}}, list, nil)
	if name, port, health := stack.ModelService(cfg); running[name] {
		_, r.ModelVersion = stack.ModelVersion(ctx, p, port, health)
	}
	if d := stack.LatestDrift(ctx, p, cfg, running); d != nil {
		r.Drift = d
	}
	return r, nil
}

func nodeState(n swarm.Node) NodeState {
	ns := NodeState{Host: nodeName(n), Hostname: n.Description.Hostname, ID: n.ID, Role: string(n.Spec.Role),
		State: string(n.Status.State), Availability: string(n.Spec.Availability), Address: n.Status.Addr, Roles: []string{}}
	if n.ManagerStatus != nil {
		ns.Leader = n.ManagerStatus.Leader
	}
	for _, l := range []struct{ label, role string }{{LabelTracking, "tracking"}, {LabelTraining, "training"}, {LabelServing, "serving"}} {
		if n.Spec.Labels[l.label] == "true" {
			ns.Roles = append(ns.Roles, l.role)
		}
	}
	return ns
}

// Summary is one line for people: what is wrong, or that all is well.
func (r *Report) Summary() string {
	var bad []string
	for _, n := range r.Nodes {
		if n.State != string(swarm.NodeStateReady) {
			bad = append(bad, "node "+n.Host+" ("+n.State+")")
		}
	}
	for _, s := range r.Services {
		if !s.Healthy {
			bad = append(bad, s.Service+" ("+s.State+")")
		}
	}
	if len(bad) > 0 {
		return "not healthy: " + strings.Join(bad, ", ")
	}
	return "all services healthy"
}
