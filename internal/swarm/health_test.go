package swarm

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"

	"github.com/mlforge/mlforge/internal/config"
)

// stackSwarm is a fake swarm running the taxi stack's serve (2 replicas
// on h2 and h3, a third starting) and mlflow (its only task failed).
func stackSwarm(t *testing.T) *fakeSwarm {
	t.Helper()
	sw := newFakeSwarm()
	for i, host := range []string{"root@h1:22", "root@h2:22", "root@h3:22"} {
		id := sw.addNode("10.0.0."+string(rune('1'+i)), swarm.NodeRoleWorker)
		sw.nodes[id].Spec.Labels = map[string]string{LabelHost: host, LabelServing: "true"}
	}
	sw.nodes["node1"].Spec.Labels[LabelTracking] = "true"
	sw.services = []swarm.Service{
		{ID: "s1", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "taxi_serve"}}, ServiceStatus: &swarm.ServiceStatus{DesiredTasks: 2, RunningTasks: 2}},
		{ID: "s2", Spec: swarm.ServiceSpec{Annotations: swarm.Annotations{Name: "taxi_mlflow"}}, ServiceStatus: &swarm.ServiceStatus{DesiredTasks: 1}},
	}
	running := swarm.TaskStatus{State: swarm.TaskStateRunning}
	sw.tasks = []swarm.Task{
		{ID: "a", ServiceID: "s1", NodeID: "node2", DesiredState: swarm.TaskStateRunning, Status: running},
		{ID: "b", ServiceID: "s1", NodeID: "node3", DesiredState: swarm.TaskStateRunning, Status: running},
		{ID: "c", ServiceID: "s1", NodeID: "node1", DesiredState: swarm.TaskStateRunning, Status: swarm.TaskStatus{State: swarm.TaskStateStarting}},
		{ID: "d", ServiceID: "s1", NodeID: "node1", DesiredState: swarm.TaskStateShutdown, Status: swarm.TaskStatus{State: swarm.TaskStateShutdown}},
		{ID: "e", ServiceID: "s2", NodeID: "node1", DesiredState: swarm.TaskStateShutdown,
			Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Err: "task: non-zero exit (1)", Timestamp: time.Now()}},
		{ID: "f", ServiceID: "s2", NodeID: "node1", DesiredState: swarm.TaskStateShutdown,
			Status: swarm.TaskStatus{State: swarm.TaskStateRejected, Err: "No such image: taxi-mlflow:id-1", Timestamp: time.Now().Add(-time.Minute)}},
	}
	return sw
}

func TestStates(t *testing.T) {
	states, err := States(context.Background(), stackSwarm(t), "taxi", []string{"mlflow", "prometheus", "serve"})
	if err != nil {
		t.Fatal(err)
	}
	mlflow, prom, serve := states[0], states[1], states[2]
	if serve.Running != 2 || serve.Desired != 2 || !serve.Healthy || serve.Starting != 1 ||
		serve.Placement() != "root@h2:22 (1), root@h3:22 (1)" || serve.State != "2/2 running, 1 starting" {
		t.Errorf("serve %+v (%s)", serve, serve.Placement())
	}
	if mlflow.Healthy || mlflow.Failed != "task: non-zero exit (1)" || mlflow.State != "0/1 running" {
		t.Errorf("mlflow %+v: want unhealthy with its last failure", mlflow)
	}
	if prom.Healthy || prom.State != "not running" {
		t.Errorf("prometheus %+v", prom)
	}
	if AllHealthy(states) || !AllHealthy(states[2:]) || AllHealthy(nil) {
		t.Error("AllHealthy")
	}
}

// The model service may wait for its first model (lenient); a service
// that does not come up fails the wait naming it and its last failure.
func TestWait(t *testing.T) {
	sw := stackSwarm(t)
	sw.services[0].ServiceStatus.DesiredTasks = 3
	w := &Wait{API: sw, Stack: "taxi", Services: []string{"serve"}, Lenient: map[string]bool{"serve": true}, Timeout: time.Millisecond}
	if err := w.Run(context.Background(), &recorder{}); err != nil {
		t.Errorf("lenient serve with 2 running and 1 starting of 3: %v", err)
	}
	w = &Wait{API: sw, Stack: "taxi", Services: []string{"serve", "mlflow"}, Timeout: 10 * time.Millisecond, Poll: time.Millisecond}
	err := w.Run(context.Background(), &recorder{})
	if err == nil || !strings.Contains(err.Error(), "serve (2/3 running, 1 starting)") ||
		!strings.Contains(err.Error(), "mlflow (0/1 running; last task failed: task: non-zero exit (1))") {
		t.Errorf("got %v", err)
	}
}

// fixedProber answers every probe with 200 and a model version.
type fixedProber struct{}

func (fixedProber) Get(context.Context, int, string) (int, []byte, error) {
	return http.StatusOK, []byte(`{"model_version": "7"}`), nil
}

func (p fixedProber) Post(ctx context.Context, port int, path string, _ []byte) (int, []byte, error) {
	return p.Get(ctx, port, path)
}

// Status: nodes with their roles, replicas per node, the model version;
// a node mlforge added that is down makes the stack unhealthy.
func TestInspect(t *testing.T) {
	sw := stackSwarm(t)
	sw.services = sw.services[:1]
	cfg := &config.Config{Project: "taxi", Services: map[string]config.Service{"serve": {Role: "model", Port: 9696, Health: "/health"}}}
	r, err := Inspect(context.Background(), sw, fixedProber{}, cfg, "taxi", []string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Healthy || len(r.Nodes) != 3 || r.ModelVersion != "7" || r.Summary() != "all services healthy" {
		t.Errorf("report %+v", r)
	}
	if n := r.Nodes[0]; n.Host != "root@h1:22" || strings.Join(n.Roles, ",") != "tracking,serving" || n.State != "ready" {
		t.Errorf("first node %+v", n)
	}
	if len(r.Endpoints) != 1 || !r.Endpoints[0].Healthy || r.Endpoints[0].URL != "http://127.0.0.1:9696" {
		t.Errorf("endpoints %+v", r.Endpoints)
	}
	sw.nodes["node3"].Status.State = swarm.NodeStateDown
	r, err = Inspect(context.Background(), sw, fixedProber{}, cfg, "taxi", []string{"serve"})
	if err != nil || r.Healthy || !strings.Contains(r.Summary(), "node root@h3:22 (down)") {
		t.Errorf("with a node down: %v, %+v", err, r)
	}
}

// A rolling update this deploy started is waited for to its end; one the
// swarm rolled back fails the wait, naming the service; an update from
// before the deploy is not this deploy's business.
func TestWaitForRollouts(t *testing.T) {
	sw := stackSwarm(t)
	before := time.Now().Add(-time.Hour)
	sw.services[0].UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateCompleted, StartedAt: &before}
	states, err := States(context.Background(), sw, "taxi", []string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	marks := UpdateMarks(states)
	now := time.Now()
	sw.services[0].UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateUpdating, StartedAt: &now}
	w := &Wait{API: sw, Stack: "taxi", Services: []string{"serve"}, Marks: marks, Timeout: 5 * time.Millisecond, Poll: time.Millisecond}
	if err := w.Run(context.Background(), &recorder{}); err == nil || !strings.Contains(err.Error(), "serve (2/2 running, 1 starting, updating)") {
		t.Errorf("during the rollout: %v", err)
	}
	sw.services[0].UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateRollbackCompleted, StartedAt: &now, Message: "rollback completed"}
	if err := w.Run(context.Background(), &recorder{}); err == nil || !strings.Contains(err.Error(), "the new version of serve did not come up and was rolled back") {
		t.Errorf("after a rollback: %v", err)
	}
	sw.services[0].UpdateStatus = &swarm.UpdateStatus{State: swarm.UpdateStateRollbackCompleted, StartedAt: &before}
	if err := w.Run(context.Background(), &recorder{}); err != nil {
		t.Errorf("an earlier rollback fails this deploy: %v", err)
	}
}
