package idle_test

import (
	"context"
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
		// The agent counts in whole seconds and checks every second.
		if took < timeout-2*time.Second {
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
		// The job's last line came 1 s after its start; timestamps count in whole seconds.
		if since := time.Since(start); since < time.Second+stall+timeout-2*time.Second {
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
