package idle_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

// The agent's settings on the test host: seconds instead of an hour, the
// stop replaced by one that records (a test host cannot power off), the
// metadata service a fake on the host's loopback.
const (
	timeout   = 5 * time.Second
	stall     = 3 * time.Second
	hold      = 2 * timeout // activity held this long must not let the stop fire
	stopsFile = "/var/lib/mlforge/stops"
	project   = "idlep"
)

// compose is the project on the host: a model server counting requests
// and a job service, both the fakehost program.
const compose = `name: ` + project + `
services:
  serve:
    image: mlforge-test/fakehost:1
    command: ["model", "-listen", ":9696"]
    ports: ["127.0.0.1:19696:9696"]
  job:
    image: mlforge-test/fakehost:1
    profiles: [jobs]
    command: ["job"]
`

type quiet struct{}

func (quiet) Start(string)   {}
func (quiet) Update(string)  {}
func (quiet) End(error)      {}
func (quiet) Skip(string)    {}
func (quiet) Println(string) {}

// agent drives and observes the agent on the test host, through docker
// exec only: an SSH connection would itself count as activity.
type agent struct {
	t *testing.T
	h *sshtest.Host
}

func (a agent) sh(script string) string { a.t.Helper(); return a.h.Exec(a.t, script) }

// runJob starts the compose project's job with args, as mlforge run
// does but detached, and returns the container's name.
func (a agent) runJob(args string) string {
	a.t.Helper()
	lines := strings.Split(strings.TrimSpace(a.sh("cd /root/"+project+" && docker compose run -d job job "+args+" 2>/dev/null")), "\n")
	id := strings.TrimSpace(lines[len(lines)-1])
	return strings.TrimPrefix(strings.TrimSpace(a.sh("docker inspect -f '{{.Name}}' "+id)), "/")
}

// reset starts a new idle period: the state and the recorded stops go,
// under the agent's lock so no check is half-way.
func (a agent) reset() {
	a.sh("flock /var/lib/mlforge/idle.lock rm -f /var/lib/mlforge/idle.state " + stopsFile)
}

func (a agent) stops() int {
	out, _ := a.h.TryExec("cat " + stopsFile + " 2>/dev/null | wc -l")
	n, _ := strconv.Atoi(strings.TrimSpace(out))
	return n
}

// noStopFor fails if the stop fires within d.
func (a agent) noStopFor(d time.Duration) {
	a.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if a.stops() > 0 {
			a.t.Fatalf("the stop fired during activity:\n%s\n%s", a.sh("cat "+stopsFile), a.sh("tail -5 "+idle.LogPath))
		}
	}
}

// waitStop waits for the stop to fire and returns how long it took.
func (a agent) waitStop(within time.Duration) time.Duration {
	a.t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if a.stops() > 0 {
			return time.Since(start)
		}
		time.Sleep(250 * time.Millisecond)
	}
	a.t.Fatalf("no stop within %s of the activity ending:\n%s\n%s", within, a.sh("cat "+idle.StatePath), a.sh("tail -5 "+idle.LogPath))
	return 0
}

func (a agent) state() idle.State {
	a.t.Helper()
	s, err := idle.ParseState([]byte(a.sh("cat " + idle.StatePath)))
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// setConf changes one setting; the agent reads its configuration on every check.
func (a agent) setConf(key, value string) {
	a.sh(fmt.Sprintf("sed -i \"s|^%s=.*|%s='%s'|\" %s", key, key, value, idle.ConfPath))
}

// active checks that the agent sees the activity, by its reason.
func (a agent) active(want string) {
	a.t.Helper()
	s := a.state()
	if !s.Active || !strings.Contains(s.Reason, want) {
		a.t.Errorf("state during activity: active=%v reason %q, want %q", s.Active, s.Reason, want)
	}
}

// TestIdleStopOnTestHost installs the agent over SSH on a Debian 13 host
// with Docker (no systemd there: the agent runs as background loops) and
// checks that no activity stops the host, that each kind of activity
// postpones the stop, that a stalled job stops postponing it, that off
// never stops, and that a spot interruption notice stops the stack.
func TestIdleStopOnTestHost(t *testing.T) {
	testenv.RequireDocker(t)
	h := sshtest.Start(t, sshtest.Trixie)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := sshx.Dial(ctx, h.Options("root"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: c}, bootstrap.Options{}, quiet{}); err != nil {
		t.Fatal(err)
	}
	a := agent{t: t, h: h}
	setUpHost(t, a)
	opts := idle.Options{Timeout: timeout, Interval: time.Second, StallLimit: stall, CPUThreshold: 100, Project: project,
		ModelMetricsURL: "http://127.0.0.1:19696/metrics", ModelCounter: "fake_requests_total",
		Spot: true, SpotPoll: time.Second, IMDSURL: "http://127.0.0.1:18080", ComposeGrace: 10 * time.Second,
		StopCommand: `echo "$(date +%s) $IDLE_REASON" >>` + stopsFile}
	out, err := idle.Install(ctx, bootstrap.SSHRunner{Client: c}, opts)
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // from here on nothing holds an SSH connection unless a test opens one
	if !strings.Contains(out, "installed: no systemd, background loops") || !strings.Contains(a.sh("cat /etc/ssh/sshd_config.d/50-mlforge-idle.conf"), "ClientAliveInterval 60") {
		t.Fatalf("install: %s", out)
	}

	t.Run("no activity stops the host", func(t *testing.T) {
		a := agent{t: t, h: h}
		a.reset()
		took := a.waitStop(timeout + 10*time.Second)
		if took < timeout-time.Second {
			t.Errorf("stopped after %s, before the %s timeout", took, timeout)
		}
		if line := a.sh("cat " + stopsFile); !strings.Contains(line, "no activity for") {
			t.Errorf("the stop command got no reason: %q", line)
		}
		if log := a.sh("cat " + idle.LogPath); !strings.Contains(log, "stopping the instance: no activity for") {
			t.Errorf("the stop is not logged:\n%s", log)
		}
	})

	activity := func(name, reason string, start func(a agent) (end func())) {
		t.Run(name+" postpones the stop", func(t *testing.T) {
			a := agent{t: t, h: h}
			a.reset()
			end := start(a)
			a.noStopFor(hold)
			a.active(reason)
			end()
			a.waitStop(timeout + 10*time.Second)
		})
	}
	activity("an SSH session", "ssh: 1 connection", func(a agent) func() {
		s, err := sshx.Dial(context.Background(), h.Options(sshtest.SudoUser))
		if err != nil {
			a.t.Fatal(err)
		}
		return func() { s.Close() }
	})
	activity("model server requests", "model:", func(a agent) func() {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				case <-time.After(500 * time.Millisecond):
					_, _ = h.TryExec("curl -fsS -X POST http://127.0.0.1:19696/predict")
				}
			}
		}()
		return func() { close(done); wg.Wait() }
	})
	activity("a running job with a heartbeat", "job "+project+"-job-run-", func(a agent) func() {
		name := a.runJob("-ticks 1000 -every 1s")
		return func() { a.sh("docker rm -f " + name) }
	})
	activity("CPU load", "cpu:", func(a agent) func() {
		a.setConf("CPU_THRESHOLD", "50")
		a.sh("for i in $(seq $(nproc)); do (while :; do :; done) >/dev/null 2>&1 & echo $! >>/tmp/burn.pids; done")
		return func() {
			a.sh("kill $(cat /tmp/burn.pids) && rm /tmp/burn.pids")
			a.setConf("CPU_THRESHOLD", "100")
		}
	})
	activity("GPU load", "gpu: 87%", func(a agent) func() {
		// nvidia-smi as the agent calls it, reporting two GPUs.
		a.sh(`printf '3\n87\n' >/tmp/gpu-util && printf '#!/bin/sh\ncat /tmp/gpu-util\n' >/usr/local/bin/nvidia-smi && chmod +x /usr/local/bin/nvidia-smi`)
		return func() { a.sh(`printf '0\n0\n' >/tmp/gpu-util`) }
	})

	t.Run("a stalled job stops postponing the stop after its limit", func(t *testing.T) {
		a := agent{t: t, h: h}
		a.sh("rm -f /usr/local/bin/nvidia-smi")
		a.reset()
		start := time.Now()
		name := a.runJob("-ticks 2 -every 1s")
		defer a.sh("docker rm -f " + name)
		took := a.waitStop(2*time.Second + stall + timeout + 10*time.Second)
		if since := time.Since(start); since < stall+timeout {
			t.Errorf("stopped %s after the job started: the job's heartbeat (2 s) plus the stall limit %s plus the timeout %s had not passed", since, stall, timeout)
		}
		if st := a.sh("docker inspect -f '{{.State.Status}}' " + name); strings.TrimSpace(st) != "running" {
			t.Errorf("the stalled job is %s, want still running", st)
		}
		s := a.state()
		if !strings.Contains(s.StalledJobs, name+" (no output for") {
			t.Errorf("state names no stalled job: %+v", s)
		}
		t.Logf("stopped %s after the job started (last output at 1 s, stall limit %s, timeout %s)", took, stall, timeout)
	})

	t.Run("off never stops", func(t *testing.T) {
		a := agent{t: t, h: h}
		a.setConf("IDLE_OFF", "1")
		defer a.setConf("IDLE_OFF", "0")
		a.reset()
		a.noStopFor(hold)
		if s := a.state(); s.Enabled || s.StopInSeconds != nil {
			t.Errorf("state with the idle stop off: %+v", s)
		}
	})

	t.Run("footprint", func(t *testing.T) { footprint(agent{t: t, h: h}) })

	t.Run("a spot interruption notice stops the stack", func(t *testing.T) {
		a := agent{t: t, h: h}
		a.sh(`printf '{"action": "stop", "time": "2026-12-01T14:00:00Z"}' >/tmp/imds-action`)
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := strings.TrimSpace(a.sh("docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' " + project + "-serve-1"))
			if st == "exited 0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stack is %q 30 s after the notice:\n%s", st, a.sh("tail -5 "+idle.LogPath))
			}
			time.Sleep(250 * time.Millisecond)
		}
		if logs := a.sh("docker logs " + project + "-serve-1"); !strings.Contains(logs, "stopped cleanly") {
			t.Errorf("the model server did not stop cleanly:\n%s", logs)
		}
		log := a.sh("cat " + idle.LogPath)
		if !strings.Contains(log, "spot interruption notice") || !strings.Contains(log, "the "+project+" stack is stopped") {
			t.Errorf("the notice is not logged:\n%s", log)
		}
		imds := a.sh("cat /tmp/imds.log")
		if !strings.Contains(imds, `PUT /latest/api/token ttl="21600"`) || !strings.Contains(imds, "GET /latest/meta-data/spot/instance-action token=true") {
			t.Errorf("the agent did not use IMDSv2 tokens:\n%s", imds)
		}
		time.Sleep(2 * time.Second) // one more check records the notice
		if s := a.state(); !strings.Contains(s.SpotNotice, "action: stop") {
			t.Errorf("state: spot notice %q", s.SpotNotice)
		}
	})
}

// setUpHost copies the fakehost program into the host, makes it an image,
// starts the compose project's model server and the fake metadata service.
func setUpHost(t *testing.T, a agent) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fakehost")
	build := exec.Command("go", "build", "-o", bin, "./testdata/fakehost")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building fakehost: %v\n%s", err, out)
	}
	if out, err := exec.Command("docker", "cp", bin, a.h.Name+":/usr/local/bin/fakehost").CombinedOutput(); err != nil {
		t.Fatalf("copying fakehost: %v\n%s", err, out)
	}
	a.sh(`set -e
tar -C /usr/local/bin -c fakehost | docker import -c 'ENTRYPOINT ["/fakehost"]' - mlforge-test/fakehost:1 >/dev/null
mkdir -p /root/` + project + ` && cd /root/` + project + ` && cat >compose.yaml <<'EOF'
` + compose + `EOF
docker compose up -d --quiet-pull serve 2>&1
setsid nohup fakehost imds -listen 127.0.0.1:18080 -action-file /tmp/imds-action >/tmp/imds.log 2>&1 </dev/null &`)
}

// footprint measures the agent on the host while a job runs and the
// model server answers: CPU and peak memory of a check (which runs the
// whole set of probes), and the resident memory of the spot watch.
func footprint(a agent) {
	a.t.Helper()
	// The measuring checks must not find the loop holding the lock.
	a.sh("kill $(cat /var/lib/mlforge/idle-loop.pid)")
	defer a.sh("sh " + idle.ScriptPath + " install") // the loops again
	name := a.runJob("-ticks 1000 -every 1s")
	defer a.sh("docker rm -f " + name)
	a.sh("curl -fsS -X POST http://127.0.0.1:19696/predict")
	m := strings.TrimSpace(a.sh("fakehost measure -n 20 -- sh " + idle.ScriptPath + " check"))
	rss := strings.TrimSpace(a.sh("grep VmRSS /proc/$(cat /var/lib/mlforge/spot-watch.pid)/status"))
	a.t.Logf("one check (a job running, the model server up): %s; spot watch resident: %s", m, rss)
	var runs int
	var cpu float64
	var maxRSS int
	if _, err := fmt.Sscanf(m, "runs=%d cpu_ms_per_run=%f max_rss_kb=%d", &runs, &cpu, &maxRSS); err != nil || runs != 20 {
		a.t.Fatalf("measure: %q %v", m, err)
	}
	// Light: no process of a check may hold more than 32 MB.
	if maxRSS > 32*1024 {
		a.t.Errorf("a check's largest process held %d kB", maxRSS)
	}
	if s := a.state(); !strings.Contains(s.Reason, "job "+name) || s.ModelRequests == nil {
		a.t.Errorf("the measured checks did not see the job and the model server: %+v", s)
	}
}
