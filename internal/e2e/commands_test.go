package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// status counts every service the stack should run: one whose container
// is gone is "not running" and makes it unhealthy; a skipped one is listed
// apart and does not.
func TestStatusCountsAServiceWithoutAContainer(t *testing.T) {
	dir, name, _ := modelProject(t)
	if r := mlforge(t, dir, nil, "up"); r.code != 0 {
		t.Fatalf("up: exit %d", r.code)
	}
	if r := mlforge(t, dir, nil, "status"); r.code != 0 {
		t.Fatalf("status of a healthy stack: exit %d", r.code)
	}
	if out, err := exec.Command("docker", "rm", "-f", name+"-ticker-1").CombinedOutput(); err != nil {
		t.Fatalf("removing the ticker: %v\n%s", err, out)
	}
	r := mlforge(t, dir, nil, "status", "--json")
	st := decode[struct {
		Healthy  bool
		Services []struct {
			Service, State string
			Healthy        bool
		}
	}](t, r.out)
	if r.code != 1 || st.Healthy {
		t.Errorf("status with a service gone: exit %d, healthy %v; want 1 and false", r.code, st.Healthy)
	}
	found := false
	for _, s := range st.Services {
		if s.Service == "ticker" {
			found = s.State == "not running" && !s.Healthy
		}
	}
	if !found {
		t.Errorf("status does not list ticker as not running: %+v", st.Services)
	}
	if r := mlforge(t, dir, nil, "status"); r.code != 1 || !strings.Contains(r.out, "not running") {
		t.Errorf("status table: exit %d\n%s", r.code, r.out)
	}
	// Skipped on purpose: not counted, and said.
	if r := mlforge(t, dir, nil, "up", "--skip", "ticker"); r.code != 0 {
		t.Fatalf("up --skip ticker: exit %d", r.code)
	}
	if r := mlforge(t, dir, nil, "status"); r.code != 0 || !strings.Contains(r.out, "Skipped by mlforge up: ticker") {
		t.Errorf("status after up --skip ticker: exit %d\n%s", r.code, r.out)
	}
}

// run streams a job and hands its exit code back as mlforge's.
func TestRunReturnsTheJobsExitCode(t *testing.T) {
	dir, _, _ := modelProject(t)
	if r := mlforge(t, dir, nil, "run", "fail"); r.code != 3 || !strings.Contains(r.errOut, "failing on purpose") || !strings.Contains(r.errOut, "job fail exited with code 3") {
		t.Errorf("run fail: exit %d, want 3 with the job's output", r.code)
	}
	if r := mlforge(t, dir, nil, "run", "train"); r.code != 0 || !strings.Contains(r.out, "trained version") {
		t.Errorf("run train: exit %d\n%s", r.code, r.out)
	}
	if r := mlforge(t, dir, nil, "run", "nope"); r.code != 2 || !strings.Contains(r.errOut, `no job named "nope"`) {
		t.Errorf("run nope: exit %d", r.code)
	}
}

// logs: -n, --since, several services, and -f until Ctrl-C.
func TestLogs(t *testing.T) {
	dir, _, _ := modelProject(t)
	if r := mlforge(t, dir, nil, "up"); r.code != 0 {
		t.Fatalf("up: exit %d", r.code)
	}
	time.Sleep(4 * time.Second) // a few ticks
	lines := func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }
	if r := mlforge(t, dir, nil, "logs", "-n", "2", "ticker"); r.code != 0 || len(lines(r.out)) != 2 || !strings.Contains(r.out, "tick ") {
		t.Errorf("logs -n 2 ticker: exit %d, %d lines:\n%s", r.code, len(lines(r.out)), r.out)
	}
	all := mlforge(t, dir, nil, "logs", "ticker")
	recent := mlforge(t, dir, nil, "logs", "--since", "2s", "ticker")
	if recent.code != 0 || len(lines(recent.out)) == 0 || len(lines(recent.out)) >= len(lines(all.out)) {
		t.Errorf("logs --since 2s: %d lines of %d", len(lines(recent.out)), len(lines(all.out)))
	}
	both := mlforge(t, dir, nil, "logs", "serve", "ticker")
	if both.code != 0 || !strings.Contains(both.out, "ticker-1") || !strings.Contains(both.out, "serve-1") {
		t.Errorf("logs serve ticker: exit %d\n%s", both.code, both.out)
	}
	if r := mlforge(t, dir, nil, "logs", "nope"); r.code == 0 {
		t.Errorf("logs of an unknown service: exit 0")
	}

	// -f streams new lines until Ctrl-C, which ends it cleanly.
	cmd := exec.Command(binary, "logs", "-f", "-n", "1", "ticker")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := 0
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(20 * time.Second)
	for seen < 3 && time.Now().Before(deadline) && sc.Scan() {
		if strings.Contains(sc.Text(), "tick ") {
			seen++
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // Ctrl-C reaches the whole foreground group
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if seen < 3 {
			t.Errorf("logs -f showed %d new ticks, want 3", seen)
		}
		if err != nil {
			t.Errorf("logs -f ended by Ctrl-C: %v (stderr %q), want exit 0", err, errOut.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("logs -f did not end after Ctrl-C")
	}
}

// down keeps the volumes (the next up serves the trained model without
// training); down --volumes asks, and with --yes deletes them.
func TestDownKeepsVolumesUnlessAsked(t *testing.T) {
	dir, name, _ := modelProject(t)
	first := decode[struct{ Trained bool }](t, mlforge(t, dir, nil, "up", "--json").out)
	if !first.Trained {
		t.Fatal("the first up did not train")
	}
	if r := mlforge(t, dir, nil, "down"); r.code != 0 {
		t.Fatalf("down: exit %d", r.code)
	}
	if v := volumes(t, name); len(v) != 1 {
		t.Errorf("volumes after down: %v, want the models volume kept", v)
	}
	again := decode[struct {
		Trained      bool
		ModelVersion string
	}](t, mlforge(t, dir, nil, "up", "--json").out)
	if again.Trained || again.ModelVersion != "1" {
		t.Errorf("up after down: trained %v, version %q; want the kept model 1 served without training", again.Trained, again.ModelVersion)
	}
	if r := mlforge(t, dir, nil, "down", "--volumes"); r.code != 2 || !strings.Contains(r.errOut, "--yes") {
		t.Errorf("down --volumes without a terminal: exit %d, stderr %q; want 2 and a hint for --yes", r.code, r.errOut)
	}
	if v := volumes(t, name); len(v) != 1 {
		t.Errorf("volumes after a refused down --volumes: %v", v)
	}
	if r := mlforge(t, dir, nil, "down", "--volumes", "--yes"); r.code != 0 {
		t.Fatalf("down --volumes --yes: exit %d", r.code)
	}
	if v := volumes(t, name); len(v) != 0 {
		t.Errorf("volumes after down --volumes --yes: %v, want none", v)
	}
}

func volumes(t *testing.T, project string) []string {
	t.Helper()
	out, err := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=com.docker.compose.project="+project).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}
