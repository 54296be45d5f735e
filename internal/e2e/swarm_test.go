package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

// swarmApp is the model server of the swarm test: a small HTTP server
// answering its version and replica, with a readiness path; run as
// `app.py job` it is a one-shot job that asks the web service over the
// overlay network and exits 3.
const swarmApp = `"""A tiny model server for the swarm test."""
import http.server
import json
import socket
import sys
import urllib.request

VERSION = "%s"


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers every request with the version and the replica's name.

    The answer leaves in one write, headers and body together, as a model
    server's small answer does: a host that dies between two writes cuts a
    response whose headers the proxy has already passed on, and no proxy
    can replay that one.
    """

    protocol_version = "HTTP/1.1"
    wbufsize = 65536

    def _answer(self):
        body = json.dumps({"version": VERSION, "host": socket.gethostname(), "model_version": VERSION}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    """Serves each request in a thread; a peer that resets (HAProxy ends its checks so) is no error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionResetError):
            super().handle_error(request, client_address)


if sys.argv[1:] == ["job"]:
    with urllib.request.urlopen("http://web:8000/version", timeout=10) as r:
        print("job ran on", socket.gethostname(), "and web answered", json.load(r)["version"], flush=True)
    sys.exit(3)
print("serving", VERSION, "on", socket.gethostname(), flush=True)
Server(("", 8000), Handler).serve_forever()
`

const swarmCompose = `services:
  web:
    build: .
    image: ${COMPOSE_PROJECT_NAME}-web:latest
    init: true
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
      interval: 1s
      timeout: 3s
      retries: 5
      start_period: 2s
  check:
    profiles: [jobs]
    build: .
    image: ${COMPOSE_PROJECT_NAME}-web:latest
    command: ["python", "/srv/app.py", "job"]
`

const swarmConfig = `project: %s
target: swarm
ssh:
  identity: %s
  knownHosts: %s
swarm:
  managers: [%s]
  workers: [%s]
  encrypt: %v
services:
  web: {role: model, port: %d, portEnv: WEB_PORT, health: /health, replicas: 2}
jobs:
  check: {service: check, reserve: {cpus: "0.1", memory: 32M}}
`

// swarmProject is the test's project on three hosts.
type swarmProject struct {
	dir, name string
	hosts     []*sshtest.Host
	port      int
}

func (p *swarmProject) host(i int) string { return fmt.Sprintf("root@127.0.0.1:%d", p.hosts[i].Port) }

// configure writes mlforge.yaml with the given workers (indexes of hosts).
func (p *swarmProject) configure(t *testing.T, encrypt bool, workers ...int) {
	t.Helper()
	var ws []string
	for _, i := range workers {
		ws = append(ws, p.host(i))
	}
	cfg := fmt.Sprintf(swarmConfig, p.name, p.hosts[0].Identity, filepath.Join(p.dir, ".known_hosts"), p.host(0),
		strings.Join(ws, ", "), encrypt, p.port)
	if err := os.WriteFile(filepath.Join(p.dir, "mlforge.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *swarmProject) setVersion(t *testing.T, v string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "app.py"), []byte(fmt.Sprintf(swarmApp, v)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newSwarmProject(t *testing.T) *swarmProject {
	t.Helper()
	p := &swarmProject{dir: t.TempDir(), name: testenv.Name(t), port: testenv.FreePort(t)}
	var known []string
	for i := 0; i < 3; i++ {
		h := sshtest.Start(t, sshtest.Trixie)
		// Runs before the host is removed: no swarm state outlives the test,
		// and a failure shows what the host's engine and sshd said.
		t.Cleanup(func() {
			if t.Failed() {
				logs, _ := exec.Command("docker", "logs", "--tail", "20", h.Name).CombinedOutput()
				engine, _ := h.TryExec("tail -n 40 /var/log/mlforge-dockerd.log")
				t.Logf("host %d (%s): sshd:\n%s\ndockerd:\n%s", i, h.Name, logs, engine)
			}
			h.TryExec("docker swarm leave --force >/dev/null 2>&1")
		})
		p.hosts = append(p.hosts, h)
		known = append(known, h.KnownHostsLine())
		if i > 0 {
			h.AuthorizeIdentity(t, p.hosts[0].Identity)
		}
	}
	files := map[string]string{".known_hosts": strings.Join(known, "\n") + "\n", "docker-compose.yml": swarmCompose,
		"Dockerfile": "FROM python:3.11-slim\nCOPY app.py /srv/app.py\nCMD [\"python\", \"/srv/app.py\"]\n",
		".gitignore": ".known_hosts\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(p.dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.setVersion(t, "v1")
	p.configure(t, false, 1, 2)
	removeImages(t, p.name)
	t.Cleanup(func() { removeImages(t, p.name) })
	return p
}

// swarmStatus is what the test reads of `mlforge status --json`.
type swarmStatus struct {
	Healthy bool
	Nodes   []struct {
		Host, Role, State, Availability string
		Roles                           []string
	}
	Services []struct {
		Service          string
		Running, Desired int
		Healthy          bool
		Nodes            map[string]int
	}
}

func (s swarmStatus) service(name string) (running, desired int, nodes map[string]int) {
	for _, svc := range s.Services {
		if svc.Service == name {
			return svc.Running, svc.Desired, svc.Nodes
		}
	}
	return 0, 0, nil
}

// stepTimes reads the steps' durations from up's plain status output.
var stepLine = regexp.MustCompile(`(?m)^ \S+ (.+) \(([0-9.]+m?s|[0-9]+m[0-9]+s)\)$`)

func stepTimes(stderr string) map[string]string {
	out := map[string]string{}
	for _, m := range stepLine.FindAllStringSubmatch(stderr, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// The swarm target on three test hosts: up bootstraps them, forms the
// swarm, deploys a stack whose model server runs two replicas on
// different nodes behind the proxy; a bounded load through mlforge tunnel
// sees no failed request while a new image rolls out and while a worker
// host is stopped (its replica is rescheduled); status shows it all; a
// job runs on the swarm with its exit code; removing the stopped host
// from mlforge.yaml converges; down leaves no service, down --leave no
// swarm.
func TestSwarmTarget(t *testing.T) {
	testenv.RequireCompose(t)
	for _, img := range []string{"python:3.11-slim", "haproxy:3.0"} {
		testenv.RequireImage(t, img)
	}
	p := newSwarmProject(t)

	start := time.Now()
	first := mlforge(t, p.dir, nil, "up", "--json")
	if first.code != 0 {
		t.Fatalf("up failed:\n%s", first.errOut)
	}
	t.Logf("first up (bootstrap 3 hosts, form the swarm, ship, deploy): %s; steps %v", time.Since(start), stepTimes(first.errOut))
	st := status(t, p, 0)
	running, desired, nodes := st.service("web")
	if running != 2 || desired != 2 || len(nodes) != 2 || len(st.Nodes) != 3 {
		t.Fatalf("web runs %d/%d on %v; nodes %+v", running, desired, nodes, st.Nodes)
	}
	checkNoEncryption(t, p)

	url, stopTunnel := tunnel(t, p)
	defer stopTunnel()
	rollout(t, p, url)

	job := mlforge(t, p.dir, nil, "run", "check")
	if job.code != 3 || !strings.Contains(job.out, "web answered v2") {
		t.Errorf("run check: exit %d, stdout %q; want 3 and the job's output", job.code, job.out)
	}
	logs := mlforge(t, p.dir, nil, "logs", "web")
	if logs.code != 0 || !strings.Contains(logs.out, "serving v2 on") {
		t.Errorf("logs web: exit %d, %q", logs.code, logs.out)
	}
	stopped := stopWorker(t, p, url)

	// The stopped host leaves mlforge.yaml: up drains and removes its node.
	var workers []int
	for i := 1; i < 3; i++ {
		if i != stopped {
			workers = append(workers, i)
		}
	}
	p.configure(t, false, workers...)
	if r := mlforge(t, p.dir, nil, "up", "--json"); r.code != 0 || !strings.Contains(r.errOut, "remove hosts no longer listed") {
		t.Fatalf("up without the stopped host: exit %d\n%s", r.code, r.errOut)
	}
	st = status(t, p, 0)
	if len(st.Nodes) != 2 || !st.Healthy {
		t.Errorf("after removing the stopped host: %+v", st)
	}

	if r := mlforge(t, p.dir, nil, "down"); r.code != 0 {
		t.Fatalf("down: %s", r.errOut)
	}
	if out := p.hosts[0].Exec(t, "docker service ls -q; docker network ls -q --filter label=com.docker.stack.namespace="+p.name); strings.TrimSpace(out) != "" {
		t.Errorf("down left services or networks behind: %q", out)
	}
	if r := mlforge(t, p.dir, nil, "down", "--leave"); r.code != 0 {
		t.Fatalf("down --leave: %s", r.errOut)
	}
	for _, i := range append([]int{0}, workers...) {
		if state := strings.TrimSpace(p.hosts[i].Exec(t, "docker info --format '{{.Swarm.LocalNodeState}}'")); state != "inactive" {
			t.Errorf("host %d is still in a swarm (%s) after down --leave", i, state)
		}
	}
}

// status runs `mlforge status --json` and checks its exit code (any
// when code is -1).
func status(t *testing.T, p *swarmProject, code int) swarmStatus {
	t.Helper()
	r := mlforge(t, p.dir, nil, "status", "--json")
	if code >= 0 && r.code != code {
		t.Errorf("status: exit %d, want %d\n%s", r.code, code, r.errOut)
	}
	return decode[swarmStatus](t, r.out)
}

// checkNoEncryption: swarm.encrypt false reaches the network's
// definition, and turning it on later is refused with what to do.
func checkNoEncryption(t *testing.T, p *swarmProject) {
	t.Helper()
	opts := p.hosts[0].Exec(t, "docker network inspect --format '{{json .Options}}' "+p.name+"_default")
	if strings.Contains(opts, "encrypted") {
		t.Errorf("swarm.encrypt false, but the network's options are %s", opts)
	}
	p.configure(t, true, 1, 2)
	r := mlforge(t, p.dir, nil, "up")
	if r.code != 1 || !strings.Contains(r.errOut, "swarm.encrypt is true but network "+p.name+"_default was created with encryption false") {
		t.Errorf("turning encryption on: exit %d\n%s", r.code, r.errOut)
	}
	p.configure(t, false, 1, 2)
}

// tunnel starts `mlforge tunnel web` and returns the model's URL here.
func tunnel(t *testing.T, p *swarmProject) (string, func()) {
	t.Helper()
	cmd := exec.Command(binary, "tunnel", "web", "--json")
	cmd.Dir = p.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	var forwards []struct{ URL string }
	if err := json.NewDecoder(out).Decode(&forwards); err != nil || len(forwards) != 1 {
		stop()
		t.Fatalf("tunnel output: %v %+v", err, forwards)
	}
	return forwards[0].URL + "/predict", stop
}

// rollout changes the model server's code and runs up while a load of 100
// requests a second goes through the tunnel, from the moment the stack
// deploy starts until every answer has come from the new version for 3s
// (a minute at most).
func rollout(t *testing.T, p *swarmProject, url string) {
	t.Helper()
	p.setVersion(t, "v2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	up := exec.CommandContext(ctx, binary, "up", "--json")
	up.Dir = p.dir
	up.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := up.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	var res *loadResult
	var wait func()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if res == nil && strings.Contains(sc.Text(), "deploy the stack") {
			res, wait = runLoad(ctx, url, 100, time.Minute)
		}
	}
	upErr := up.Wait()
	t.Logf("up with a new image:\n%s", log.String())
	if res == nil || upErr != nil {
		t.Fatalf("up with a new image: %v (load started: %v)", upErr, res != nil)
	}
	for res.sinceOnly("v2") < 3*time.Second && time.Since(res.started) < time.Minute {
		time.Sleep(200 * time.Millisecond)
	}
	wait()
	t.Logf("rollout under load: %s; steps %v", res, stepTimes(log.String()))
	if res.failed != 0 || res.versions["v1"] == 0 || res.versions["v2"] == 0 || res.last != "v2" {
		t.Errorf("rollout: %s; failures %v", res, res.errors)
	}
}

// stopWorker stops a worker host that runs a replica while a load of 100
// requests a second goes through the tunnel, until status shows the
// replica running elsewhere (a minute at most). It returns the index of
// the stopped host.
func stopWorker(t *testing.T, p *swarmProject, url string) int {
	t.Helper()
	_, _, nodes := status(t, p, 0).service("web")
	victim := -1
	for i := 1; i < 3; i++ {
		if nodes[p.host(i)] > 0 {
			victim = i
			break
		}
	}
	if victim < 0 {
		t.Fatalf("no worker runs a web replica: %v", nodes)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, wait := runLoad(ctx, url, 100, time.Minute)
	time.Sleep(3 * time.Second)
	stoppedAt := time.Now()
	// The host's processes die at once; Docker may take long to tear the
	// container down (its own containers inside), so that runs aside.
	stop := make(chan error, 1)
	go func() {
		out, err := exec.Command("docker", "stop", "-t", "1", p.hosts[victim].Name).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, out)
		}
		stop <- err
	}()
	defer func() {
		if err := <-stop; err != nil {
			t.Errorf("stopping %s: %v", p.hosts[victim].Name, err)
		}
	}()
	var st swarmStatus
	for time.Since(stoppedAt) < 55*time.Second {
		st = status(t, p, -1)
		if running, _, n := st.service("web"); running == 2 && n[p.host(victim)] == 0 && len(n) == 2 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	rescheduled := time.Since(stoppedAt)
	time.Sleep(3 * time.Second)
	cancel()
	wait()
	_, _, after := st.service("web")
	t.Logf("worker %s stopped: replica rescheduled after %s; load %s; web now on %v", p.host(victim), rescheduled, res, after)
	if res.failed != 0 {
		t.Errorf("requests failed while a worker stopped: %s; failures %v", res, res.errors)
	}
	if after[p.host(victim)] != 0 || len(after) != 2 {
		t.Errorf("the replica was not rescheduled: web on %v", after)
	}
	for _, n := range st.Nodes {
		if n.Host == p.host(victim) && n.State != "down" {
			t.Errorf("status shows the stopped host as %s", n.State)
		}
	}
	if st.Healthy {
		t.Error("status calls the stack healthy with a host of the swarm down")
	}
	status(t, p, 1)
	return victim
}
