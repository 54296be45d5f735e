package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
)

// fakeSwarm is one swarm as its managers' API shows it: nodes with specs
// and versions (updates with a stale version are refused, as swarmkit
// does), join tokens, tasks and services.
type fakeSwarm struct {
	mu       sync.Mutex
	tokens   swarm.JoinTokens
	nodes    map[string]*swarm.Node
	tasks    []swarm.Task
	services []swarm.Service
	managers []swarm.Peer
	next     int
}

func newFakeSwarm() *fakeSwarm {
	return &fakeSwarm{tokens: swarm.JoinTokens{Worker: "SWMTKN-1-worker-secret", Manager: "SWMTKN-1-manager-secret"},
		nodes: map[string]*swarm.Node{}}
}

func (s *fakeSwarm) addNode(addr string, role swarm.NodeRole) string {
	s.next++
	id := fmt.Sprintf("node%d", s.next)
	s.nodes[id] = &swarm.Node{ID: id, Meta: swarm.Meta{Version: swarm.Version{Index: 1}},
		Spec:   swarm.NodeSpec{Role: role, Availability: swarm.NodeAvailabilityActive},
		Status: swarm.NodeStatus{State: swarm.NodeStateReady, Addr: addr}}
	if role == swarm.NodeRoleManager {
		s.managers = append(s.managers, swarm.Peer{NodeID: id, Addr: addr + ":2377"})
	}
	return id
}

func (s *fakeSwarm) SwarmInspect(context.Context, client.SwarmInspectOptions) (client.SwarmInspectResult, error) {
	return client.SwarmInspectResult{Swarm: swarm.Swarm{JoinTokens: s.tokens}}, nil
}

func (s *fakeSwarm) NodeList(_ context.Context, o client.NodeListOptions) (client.NodeListResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []swarm.Node
	for _, n := range s.nodes {
		if ids := o.Filters["id"]; len(ids) > 0 && !ids[n.ID] {
			continue
		}
		out = append(out, *n)
	}
	return client.NodeListResult{Items: out}, nil
}

func (s *fakeSwarm) NodeUpdate(_ context.Context, id string, o client.NodeUpdateOptions) (client.NodeUpdateResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	if !ok {
		return client.NodeUpdateResult{}, fmt.Errorf("node %s not found", id)
	}
	if o.Version != n.Version {
		return client.NodeUpdateResult{}, errors.New("update out of sequence")
	}
	n.Spec = o.Spec
	n.Version.Index++
	if o.Spec.Availability == swarm.NodeAvailabilityDrain {
		// The scheduler moves its tasks away.
		var kept []swarm.Task
		for _, t := range s.tasks {
			if t.NodeID != id {
				kept = append(kept, t)
			}
		}
		s.tasks = kept
	}
	return client.NodeUpdateResult{}, nil
}

func (s *fakeSwarm) NodeRemove(_ context.Context, id string, o client.NodeRemoveOptions) (client.NodeRemoveResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.nodes[id]
	if !ok {
		return client.NodeRemoveResult{}, fmt.Errorf("node %s not found", id)
	}
	if n.Status.State != swarm.NodeStateDown && !o.Force {
		return client.NodeRemoveResult{}, fmt.Errorf("node %s is not down and can't be removed", id)
	}
	delete(s.nodes, id)
	return client.NodeRemoveResult{}, nil
}

func (s *fakeSwarm) ServiceList(context.Context, client.ServiceListOptions) (client.ServiceListResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return client.ServiceListResult{Items: append([]swarm.Service(nil), s.services...)}, nil
}

func (s *fakeSwarm) TaskList(_ context.Context, o client.TaskListOptions) (client.TaskListResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []swarm.Task
	for _, t := range s.tasks {
		if ids := o.Filters["node"]; len(ids) > 0 && !ids[t.NodeID] {
			continue
		}
		if svc := o.Filters["service"]; len(svc) > 0 && !svc[t.ServiceID] {
			continue
		}
		out = append(out, t)
	}
	return client.TaskListResult{Items: out}, nil
}

// fakeEngine is one host's engine: in no swarm, in the fake swarm, or in
// another one.
type fakeEngine struct {
	sw      *fakeSwarm
	addr    string
	state   swarm.LocalNodeState
	nodeID  string
	other   bool // in a swarm that is not sw
	joinErr error
	inits   []client.SwarmInitOptions
	joins   []client.SwarmJoinOptions
	leaves  int
}

func (e *fakeEngine) Info(context.Context, client.InfoOptions) (client.SystemInfoResult, error) {
	in := swarm.Info{LocalNodeState: e.state, NodeID: e.nodeID, NodeAddr: e.addr}
	if e.state == "" {
		in.LocalNodeState = swarm.LocalNodeStateInactive
	}
	if n, ok := e.sw.nodes[e.nodeID]; ok && !e.other {
		in.ControlAvailable = n.Spec.Role == swarm.NodeRoleManager
		in.RemoteManagers = e.sw.managers
	}
	return client.SystemInfoResult{Info: system.Info{Swarm: in}}, nil
}

func (e *fakeEngine) SwarmInit(_ context.Context, o client.SwarmInitOptions) (client.SwarmInitResult, error) {
	if e.state == swarm.LocalNodeStateActive {
		return client.SwarmInitResult{}, errors.New("This node is already part of a swarm.")
	}
	e.inits = append(e.inits, o)
	e.nodeID = e.sw.addNode(o.AdvertiseAddr, swarm.NodeRoleManager)
	e.state = swarm.LocalNodeStateActive
	return client.SwarmInitResult{NodeID: e.nodeID}, nil
}

func (e *fakeEngine) SwarmJoin(_ context.Context, o client.SwarmJoinOptions) (client.SwarmJoinResult, error) {
	if e.joinErr != nil {
		return client.SwarmJoinResult{}, e.joinErr
	}
	e.joins = append(e.joins, o)
	role := swarm.NodeRoleWorker
	switch o.JoinToken {
	case e.sw.tokens.Worker:
	case e.sw.tokens.Manager:
		role = swarm.NodeRoleManager
	default:
		return client.SwarmJoinResult{}, errors.New("invalid join token")
	}
	e.nodeID = e.sw.addNode(o.AdvertiseAddr, role)
	e.state = swarm.LocalNodeStateActive
	return client.SwarmJoinResult{}, nil
}

func (e *fakeEngine) SwarmLeave(context.Context, client.SwarmLeaveOptions) (client.SwarmLeaveResult, error) {
	e.leaves++
	if n, ok := e.sw.nodes[e.nodeID]; ok {
		n.Status.State = swarm.NodeStateDown
	}
	e.state = swarm.LocalNodeStateInactive
	return client.SwarmLeaveResult{}, nil
}

// fakeShell answers `ip route get` with the host's address and records
// every command.
type fakeShell struct {
	addr string
	mu   sync.Mutex
	cmds []string
	// answer, when set, handles commands other than ip.
	answer func(cmd string, stdin io.Reader, stdout, stderr io.Writer) error
}

func (f *fakeShell) Run(_ context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	if strings.HasPrefix(cmd, "ip -o -4 route get ") {
		if f.addr == "" {
			return errors.New("sh: 1: ip: not found")
		}
		fmt.Fprintf(stdout, "%s via 10.0.0.254 dev eth0 src %s uid 0 \\    cache\n", strings.TrimPrefix(cmd, "ip -o -4 route get "), f.addr)
		return nil
	}
	if f.answer != nil {
		return f.answer(cmd, stdin, stdout, stderr)
	}
	return nil
}

// testHosts are hosts on one fake swarm: managers first, with their
// engines and shells.
func testHosts(sw *fakeSwarm, managers, workers int) ([]*Host, []*fakeEngine) {
	var hosts []*Host
	var engines []*fakeEngine
	for i := 0; i < managers+workers; i++ {
		addr := fmt.Sprintf("10.0.0.%d", i+1)
		e := &fakeEngine{sw: sw, addr: addr}
		h := &Host{Name: fmt.Sprintf("root@h%d:22", i+1), Manager: i < managers, Engine: e, Shell: &fakeShell{addr: addr}}
		if h.Manager {
			h.API = sw
		}
		hosts = append(hosts, h)
		engines = append(engines, e)
	}
	return hosts, engines
}

// recorder is a pipeline.Reporter keeping everything it was told.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Update(d string)  { r.add(d) }
func (r *recorder) Println(l string) { r.add(l) }
func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
