package swarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
)

// Three fresh hosts: the first manager initialises the swarm advertising
// its route's source address; the others join it with their role's
// token, advertising theirs; no token reaches the output.
func TestFormANewSwarm(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 2, 2)
	f := &Form{Hosts: hosts}
	rec := &recorder{}
	if err := f.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if !f.Created || f.Leader != hosts[0] || len(engines[0].inits) != 1 || engines[0].inits[0].AdvertiseAddr != "10.0.0.1" {
		t.Fatalf("init: created %v, leader %v, inits %+v", f.Created, f.Leader.Name, engines[0].inits)
	}
	if !slices.Equal(f.Joined, []string{"root@h2:22", "root@h3:22", "root@h4:22"}) {
		t.Errorf("joined %v", f.Joined)
	}
	for i, e := range engines[1:] {
		j := e.joins[0]
		want := sw.tokens.Worker
		if hosts[i+1].Manager {
			want = sw.tokens.Manager
		}
		if j.JoinToken != want || j.AdvertiseAddr != fmt.Sprintf("10.0.0.%d", i+2) || !slices.Equal(j.RemoteAddrs, []string{"10.0.0.1:2377"}) {
			t.Errorf("host %d joined with %+v", i+2, j)
		}
	}
	if len(f.IDs) != 4 || f.IDs["root@h3:22"] == "" {
		t.Errorf("ids %v", f.IDs)
	}
	if out := rec.String(); strings.Contains(out, "secret") {
		t.Errorf("a join token reached the output:\n%s", out)
	}
}

// A second run finds the swarm formed and changes nothing; a host added
// to mlforge.yaml joins it.
func TestFormConverges(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 1, 2)
	if err := (&Form{Hosts: hosts[:2]}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	f := &Form{Hosts: hosts}
	if err := f.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if f.Created || !slices.Equal(f.Joined, []string{"root@h3:22"}) || len(engines[0].inits) != 1 || len(engines[1].joins) != 1 {
		t.Errorf("second run: created %v, joined %v, inits %d, joins of h2 %d", f.Created, f.Joined, len(engines[0].inits), len(engines[1].joins))
	}
}

// Without ip on the host, Docker chooses the address itself.
func TestFormWithoutRoutes(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 1, 0)
	hosts[0].Shell.(*fakeShell).addr = ""
	if err := (&Form{Hosts: hosts}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if engines[0].inits[0].AdvertiseAddr != "" {
		t.Errorf("advertised %q, want Docker's own choice", engines[0].inits[0].AdvertiseAddr)
	}
	hosts[0].Addr = "192.168.1.9"
	if a, _ := advertiseAddr(context.Background(), hosts[0], ""); a != "192.168.1.9" {
		t.Errorf("a configured address is not used: %q", a)
	}
}

func TestFormRefuses(t *testing.T) {
	cases := []struct {
		name  string
		setup func(sw *fakeSwarm, hosts []*Host, engines []*fakeEngine)
		want  string
	}{
		{"a host in another swarm", func(sw *fakeSwarm, hosts []*Host, engines []*fakeEngine) {
			if err := (&Form{Hosts: hosts[:1]}).Run(context.Background(), &recorder{}); err != nil {
				t.Fatal(err)
			}
			engines[2].state, engines[2].nodeID, engines[2].other = swarm.LocalNodeStateActive, "alien", true
		}, "root@h3:22 is already in another swarm"},
		{"a swarm none of the managers manages", func(sw *fakeSwarm, hosts []*Host, engines []*fakeEngine) {
			engines[1].state, engines[1].nodeID, engines[1].other = swarm.LocalNodeStateActive, "alien", true
			hosts[1].Manager = false
		}, "root@h2:22 is in a swarm that none of swarm.managers manages"},
		{"a locked node", func(sw *fakeSwarm, hosts []*Host, engines []*fakeEngine) {
			engines[1].state = swarm.LocalNodeStateLocked
		}, `root@h2:22 is in swarm state "locked"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sw := newFakeSwarm()
			hosts, engines := testHosts(sw, 1, 2)
			tc.setup(sw, hosts, engines)
			err := (&Form{Hosts: hosts}).Run(context.Background(), &recorder{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// An engine's error that echoes the token does not carry it further.
func TestJoinErrorsHideTheToken(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 1, 1)
	engines[1].joinErr = errors.New("rpc error: token " + sw.tokens.Worker + " rejected")
	err := (&Form{Hosts: hosts}).Run(context.Background(), &recorder{})
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "<join token>") {
		t.Errorf("got %v", err)
	}
}

// Labels by role, roles as configured (a worker listed as a manager is
// promoted), labels mlforge does not own kept, and a second run changes
// nothing.
func TestLabel(t *testing.T) {
	sw := newFakeSwarm()
	hosts, _ := testHosts(sw, 1, 2)
	hosts[2].Training = true
	f := &Form{Hosts: hosts}
	if err := f.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	n2 := sw.nodes[f.IDs["root@h2:22"]]
	n2.Spec.Labels = map[string]string{"zone": "b", LabelTracking: "true"}
	hosts[1].Manager = true
	l := &Label{Form: f}
	if err := l.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"root@h1:22": {LabelHost: "root@h1:22", LabelServing: "true", LabelTracking: "true"},
		"root@h2:22": {LabelHost: "root@h2:22", LabelServing: "true", "zone": "b"},
		"root@h3:22": {LabelHost: "root@h3:22", LabelServing: "true", LabelTraining: "true"},
	}
	for host, labels := range want {
		n := sw.nodes[f.IDs[host]]
		if fmt.Sprint(n.Spec.Labels) != fmt.Sprint(labels) {
			t.Errorf("%s labels %v, want %v", host, n.Spec.Labels, labels)
		}
	}
	if sw.nodes[f.IDs["root@h2:22"]].Spec.Role != swarm.NodeRoleManager {
		t.Error("h2 listed as a manager was not promoted")
	}
	again := &Label{Form: f}
	if err := again.Run(context.Background(), &recorder{}); err != nil || len(again.Changed) != 0 {
		t.Errorf("second run changed %v (%v)", again.Changed, err)
	}
}

// A host removed from mlforge.yaml is drained (its tasks move first),
// leaves by itself and is removed; one that cannot be reached is removed
// by force; a node mlforge did not add stays.
func TestPrune(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 1, 3)
	f := &Form{Hosts: hosts}
	if err := f.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if err := (&Label{Form: f}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	manual := sw.addNode("10.0.0.99", swarm.NodeRoleWorker)
	gone, unreachable := f.IDs["root@h3:22"], f.IDs["root@h4:22"]
	sw.tasks = []swarm.Task{{ID: "t1", NodeID: gone, DesiredState: swarm.TaskStateRunning, Status: swarm.TaskStatus{State: swarm.TaskStateRunning}}}
	kept := &Form{Hosts: hosts[:2]}
	if err := kept.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	p := &Prune{Form: kept, Poll: time.Millisecond, DownWait: 50 * time.Millisecond, Dial: func(_ context.Context, host string) (Engine, func(), error) {
		if host == "root@h3:22" {
			return engines[2], func() {}, nil
		}
		return nil, nil, errors.New("connection refused")
	}}
	if reason, skip := p.Skip(context.Background()); skip {
		t.Fatalf("skipped: %s", reason)
	}
	rec := &recorder{}
	if err := p.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if engines[2].leaves != 1 || sw.nodes[gone] != nil || sw.nodes[unreachable] != nil || sw.nodes[manual] == nil {
		t.Errorf("leaves %d, nodes left %v", engines[2].leaves, sw.nodes)
	}
	if !strings.Contains(rec.String(), "root@h4:22 is not reachable") {
		t.Errorf("output:\n%s", rec)
	}
	if _, skip := p.Skip(context.Background()); !skip {
		t.Error("a second prune finds more to remove")
	}
}
