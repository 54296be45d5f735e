package swarm

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// namespaceLabel marks the services, networks and configs of a stack.
const namespaceLabel = "com.docker.stack.namespace"

// ServiceState is one service of the stack as up and status judge it.
type ServiceState struct {
	Service string `json:"service"`
	Running int    `json:"running"`
	Desired int    `json:"desired"`
	Healthy bool   `json:"healthy"`
	State   string `json:"state"`
	// Nodes counts its running tasks by host.
	Nodes map[string]int `json:"nodes"`
	// Starting counts tasks started but not yet running (a task with a
	// health check runs once it is healthy).
	Starting int `json:"-"`
	// Failed is the error of its last failed task, if any.
	Failed string `json:"failed,omitempty"`
	// Update is the state of its last rolling update (updating,
	// completed, rollback_completed...), "" when it never had one.
	Update        string `json:"update,omitempty"`
	UpdateMessage string `json:"updateMessage,omitempty"`
	// updateStarted marks which update Update is about.
	updateStarted time.Time
}

// Rolling reports an update or rollback still in progress (or stopped
// halfway).
func (s ServiceState) Rolling() bool {
	switch swarm.UpdateState(s.Update) {
	case swarm.UpdateStateUpdating, swarm.UpdateStateRollbackStarted, swarm.UpdateStatePaused, swarm.UpdateStateRollbackPaused:
		return true
	}
	return false
}

// UpdateMarks records when each service's last update started, so a wait
// can tell the updates a deploy causes from earlier ones.
func UpdateMarks(states []ServiceState) map[string]time.Time {
	out := map[string]time.Time{}
	for _, s := range states {
		out[s.Service] = s.updateStarted
	}
	return out
}

// States judges every expected service by its tasks: healthy when as
// many run as the service wants, and at least one. On a swarm a task
// with a health check counts as running only once it is healthy (and is
// replaced when it turns unhealthy), so this is the one definition of
// healthy: `up` returns only when it holds for every service, `status`
// exits 1 when it does not. A service that is not deployed is "not
// running".
func States(ctx context.Context, m Manager, stackName string, expected []string) ([]ServiceState, error) {
	svcs, err := m.ServiceList(ctx, client.ServiceListOptions{Status: true,
		Filters: make(client.Filters).Add("label", namespaceLabel+"="+stackName)})
	if err != nil {
		return nil, fmt.Errorf("listing the stack's services: %w", err)
	}
	tasks, err := m.TaskList(ctx, client.TaskListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the stack's tasks: %w", err)
	}
	hosts, err := hostNames(ctx, m)
	if err != nil {
		return nil, err
	}
	byName := map[string]swarm.Service{}
	for _, s := range svcs.Items {
		byName[strings.TrimPrefix(s.Spec.Name, stackName+"_")] = s
	}
	out := make([]ServiceState, 0, len(expected))
	for _, name := range expected {
		s, ok := byName[name]
		if !ok {
			out = append(out, ServiceState{Service: name, State: "not running", Nodes: map[string]int{}})
			continue
		}
		out = append(out, judge(name, s, tasks.Items, hosts))
	}
	return out, nil
}

// judge counts a service's tasks.
func judge(name string, s swarm.Service, tasks []swarm.Task, hosts map[string]string) ServiceState {
	st := ServiceState{Service: name, Nodes: map[string]int{}}
	if s.ServiceStatus != nil {
		st.Desired = int(s.ServiceStatus.DesiredTasks)
	}
	st.count(s.ID, tasks, hosts)
	if u := s.UpdateStatus; u != nil {
		st.Update, st.UpdateMessage = string(u.State), u.Message
		if u.StartedAt != nil {
			st.updateStarted = *u.StartedAt
		}
	}
	st.Healthy = st.Desired > 0 && st.Running >= st.Desired
	st.State = fmt.Sprintf("%d/%d running", st.Running, st.Desired)
	if st.Starting > 0 {
		st.State += fmt.Sprintf(", %d starting", st.Starting)
	}
	if st.Rolling() {
		st.State += ", " + strings.ReplaceAll(st.Update, "_", " ")
	}
	return st
}

// count counts the service's running and starting tasks, by node, and
// keeps the error of its last failed one.
func (st *ServiceState) count(service string, tasks []swarm.Task, hosts map[string]string) {
	var lastFail swarm.Task
	for _, t := range tasks {
		if t.ServiceID != service {
			continue
		}
		switch {
		case t.DesiredState == swarm.TaskStateRunning && t.Status.State == swarm.TaskStateRunning:
			st.Running++
			st.Nodes[hosts[t.NodeID]]++
		case t.DesiredState == swarm.TaskStateRunning && !terminal(t.Status.State):
			st.Starting++
		case (t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected) &&
			t.Status.Timestamp.After(lastFail.Status.Timestamp):
			lastFail = t
		}
	}
	if lastFail.ID != "" {
		st.Failed = strings.TrimSpace(lastFail.Status.Err)
		if st.Failed == "" {
			st.Failed = lastFail.Status.Message
		}
	}
}

// hostNames names nodes by the host mlforge.yaml lists (their hostname
// when mlforge did not label them).
func hostNames(ctx context.Context, m Manager) (map[string]string, error) {
	res, err := m.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	out := map[string]string{}
	for _, n := range res.Items {
		out[n.ID] = nodeName(n)
	}
	return out, nil
}

func nodeName(n swarm.Node) string {
	if h := n.Spec.Labels[LabelHost]; h != "" {
		return h
	}
	return n.Description.Hostname
}

// AllHealthy reports whether there are services and each is healthy.
func AllHealthy(states []ServiceState) bool {
	for _, s := range states {
		if !s.Healthy {
			return false
		}
	}
	return len(states) > 0
}

// Placement is "host (n), host (n)" for people.
func (s ServiceState) Placement() string {
	hosts := sortedKeys(s.Nodes)
	parts := make([]string, 0, len(hosts))
	for _, h := range hosts {
		parts = append(parts, fmt.Sprintf("%s (%d)", h, s.Nodes[h]))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
