package swarm

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// Deploy writes the stack's files in one archive, then runs stack deploy
// with --prune in their directory.
func TestDeploy(t *testing.T) {
	st, err := Derive(loadCompose(t), taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	sh := &fakeShell{answer: func(cmd string, stdin io.Reader, stdout, _ io.Writer) error {
		switch {
		case strings.HasPrefix(cmd, "docker network inspect"):
			return errors.New("exit status 1") // not created yet
		case strings.Contains(cmd, "tar -x"):
			tr := tar.NewReader(stdin)
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				files = append(files, h.Name)
			}
		}
		return nil
	}}
	d := &Deploy{Shell: sh, Dir: "/home/u/mlforge/taxi", Name: "taxi", Derived: st, Encrypt: true}
	if err := d.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"edge.cfg", "job-monitor.yml", "job-train.yml", "proxy.cfg", "services", "stack.yml", "volumes"}
	if !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	deploy := "cd '/home/u/mlforge/taxi/.mlforge/swarm' && docker stack deploy --prune --resolve-image never -c stack.yml 'taxi'"
	if !slices.Contains(sh.cmds, deploy) {
		t.Errorf("commands %q", sh.cmds)
	}
}

// A network created with the other encryption setting is refused before
// anything is written.
func TestDeployRefusesAnEncryptionChange(t *testing.T) {
	st, err := Derive(loadCompose(t), taxiSpec())
	if err != nil {
		t.Fatal(err)
	}
	sh := &fakeShell{answer: func(cmd string, _ io.Reader, stdout, _ io.Writer) error {
		if strings.HasPrefix(cmd, "docker network inspect") {
			fmt.Fprintln(stdout, `{"com.docker.network.driver.overlay.vxlanid_list":"4097"}`)
		}
		return nil
	}}
	d := &Deploy{Shell: sh, Dir: "/d", Name: "taxi", Derived: st, Encrypt: true}
	err = d.Run(context.Background(), &recorder{})
	if err == nil || !strings.Contains(err.Error(), "swarm.encrypt is true but network taxi_default was created with encryption false") {
		t.Errorf("got %v", err)
	}
	if len(sh.cmds) != 1 {
		t.Errorf("commands after the refusal: %q", sh.cmds)
	}
}

// jobSwarm answers the job's task list: pending for a while (no node with
// the resources), then ended with code.
func jobSwarm(code int, state swarm.TaskState) *fakeSwarm {
	sw := newFakeSwarm()
	sw.tasks = []swarm.Task{{ID: "j", ServiceID: "taxi_train", DesiredState: swarm.TaskStateComplete,
		Status: swarm.TaskStatus{State: state, Err: "no suitable node (insufficient resources on 2 nodes)"}}}
	go func() {
		time.Sleep(20 * time.Millisecond)
		sw.mu.Lock()
		sw.tasks[0].Status = swarm.TaskStatus{State: swarm.TaskStateFailed, ContainerStatus: &swarm.ContainerStatus{ExitCode: code}}
		sw.mu.Unlock()
	}()
	return sw
}

// A job runs as the job file `up` wrote, its output streamed, its exit
// code returned, its service removed afterwards; why it waits is said.
func TestJobRun(t *testing.T) {
	sw := jobSwarm(3, swarm.TaskStatePending)
	var mu sync.Mutex
	sh := &fakeShell{answer: func(cmd string, _ io.Reader, stdout, stderr io.Writer) error {
		if strings.HasPrefix(cmd, "docker service logs --follow --raw") {
			mu.Lock()
			fmt.Fprintln(stdout, "training...")
			fmt.Fprintln(stderr, "a warning")
			mu.Unlock()
		}
		return nil
	}}
	var out, errOut bytes.Buffer
	j := &JobRun{Shell: sh, API: sw, Dir: "/d", Stack: "taxi", Job: "train", Service: "train", Out: &out, ErrOut: &errOut,
		Poll: time.Millisecond, Drain: 10 * time.Millisecond}
	code, err := j.Run(context.Background())
	if err != nil || code != 3 {
		t.Fatalf("code %d, err %v", code, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if out.String() != "training...\n" || !strings.Contains(errOut.String(), "a warning") ||
		!strings.Contains(errOut.String(), "job train is waiting: no suitable node (insufficient resources on 2 nodes)") {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	first, last := sh.cmds[0], sh.cmds[len(sh.cmds)-1]
	if !strings.Contains(first, "docker stack deploy --resolve-image never -c 'job-train.yml' 'taxi'") || strings.Contains(first, "--prune") {
		t.Errorf("deploy of the job: %q (it must never prune the stack)", first)
	}
	if last != "docker service rm 'taxi_train' >/dev/null 2>&1" {
		t.Errorf("last command %q, want the job's service removed", last)
	}
}

func TestJobRunWithoutUp(t *testing.T) {
	sh := &fakeShell{answer: func(cmd string, _ io.Reader, _, stderr io.Writer) error {
		fmt.Fprintln(stderr, "no job file train")
		return errors.New("exit status 3")
	}}
	j := &JobRun{Shell: sh, API: newFakeSwarm(), Dir: "/d", Stack: "taxi", Job: "train", Service: "train", Out: io.Discard, ErrOut: io.Discard}
	if _, err := j.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "job train is not deployed on the swarm") {
		t.Errorf("got %v", err)
	}
}

// Down removes the stack, waits until it is gone, and with Volumes
// deletes its volumes on every host.
func TestDown(t *testing.T) {
	sw := newFakeSwarm()
	sw.services = []swarm.Service{{ID: "s1"}}
	go func() {
		time.Sleep(10 * time.Millisecond)
		sw.mu.Lock()
		sw.services = nil
		sw.mu.Unlock()
	}()
	manager := &fakeShell{answer: func(cmd string, _ io.Reader, stdout, _ io.Writer) error {
		if strings.HasPrefix(cmd, "cat ") {
			fmt.Fprintln(stdout, "taxi_mlflow\ntaxi_predictions")
		}
		return nil
	}}
	worker := &fakeShell{}
	d := &Down{Shell: manager, API: sw, Dir: "/d", Stack: "taxi", Volumes: true, Poll: time.Millisecond,
		Hosts: map[string]Shell{"root@h1:22": manager, "root@h2:22": worker}}
	if err := d.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(manager.cmds, "docker stack rm 'taxi'") {
		t.Errorf("manager commands %q", manager.cmds)
	}
	if len(worker.cmds) != 1 || !strings.Contains(worker.cmds[0], "for v in 'taxi_mlflow' 'taxi_predictions'") {
		t.Errorf("worker commands %q", worker.cmds)
	}
}

// Leave: workers first, then managers (forced), the first manager last.
func TestLeave(t *testing.T) {
	sw := newFakeSwarm()
	hosts, engines := testHosts(sw, 2, 2)
	if err := (&Form{Hosts: hosts}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for i, e := range engines {
		e.sw = sw
		name := hosts[i].Name
		hosts[i].Engine = &orderEngine{fakeEngine: e, name: name, order: &order}
	}
	if err := (&Leave{Hosts: hosts}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "root@h4:22,root@h3:22,root@h2:22 force,root@h1:22 force" {
		t.Errorf("order %v", order)
	}
	if err := (&Leave{Hosts: hosts}).Run(context.Background(), &recorder{}); err != nil || len(order) != 4 {
		t.Errorf("a second leave: %v, %v", err, order)
	}
}

type orderEngine struct {
	*fakeEngine
	name  string
	order *[]string
}

func (o *orderEngine) SwarmLeave(ctx context.Context, opts client.SwarmLeaveOptions) (client.SwarmLeaveResult, error) {
	s := o.name
	if opts.Force {
		s += " force"
	}
	*o.order = append(*o.order, s)
	return o.fakeEngine.SwarmLeave(ctx, opts)
}

// Logs of several services interleave whole lines only.
func TestLogs(t *testing.T) {
	sh := &fakeShell{answer: func(cmd string, _ io.Reader, stdout, _ io.Writer) error {
		name := cmd[strings.LastIndex(cmd, " ")+1:]
		for i := 0; i < 50; i++ {
			fmt.Fprintf(stdout, "%s line ", name)
			fmt.Fprintf(stdout, "%d\n", i)
		}
		return nil
	}}
	var out bytes.Buffer
	err := Logs(context.Background(), sh, newFakeSwarm(), "taxi", []string{"serve", "mlflow"}, LogOptions{Follow: true, Tail: 5, Since: "10m"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "'taxi_") || strings.Count(line, "line") != 1 {
			t.Fatalf("torn line %q", line)
		}
	}
	if !slices.Contains(sh.cmds, "docker service logs --no-trunc --follow --since '10m' --tail 5 'taxi_serve'") {
		t.Errorf("commands %q", sh.cmds)
	}
}

// Not following, logs end once quiet even when `docker service logs`
// does not; following, they stream until interrupted.
func TestLogsEndWhenQuiet(t *testing.T) {
	sh := shellFunc(func(ctx context.Context, cmd string, stdout io.Writer) error {
		fmt.Fprintln(stdout, "last line")
		<-ctx.Done() // never ends by itself; the session ends with ctx, as sshx's does
		return ctx.Err()
	})
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Logs(context.Background(), sh, newFakeSwarm(), "taxi", []string{"serve"}, LogOptions{Idle: 20 * time.Millisecond}, &out, io.Discard)
	}()
	select {
	case err := <-done:
		if err != nil || out.String() != "last line\n" {
			t.Errorf("err %v, output %q", err, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("logs did not end once quiet")
	}
}

// shellFunc is a Shell answering every command with one function.
type shellFunc func(ctx context.Context, cmd string, stdout io.Writer) error

func (f shellFunc) Run(ctx context.Context, cmd string, _ io.Reader, stdout, _ io.Writer) error {
	return f(ctx, cmd, stdout)
}
