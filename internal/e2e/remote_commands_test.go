package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/sshx/sshtest"
)

// The commands that reach a running stack on an SSH host: run (the job's
// exit code comes back), logs (-n, several services, -f until Ctrl-C),
// status, and down with its volumes.
func TestRemoteRunAndLogs(t *testing.T) {
	dir, _, _ := modelProject(t)
	host := sshtest.Start(t, sshtest.Trixie)
	target := []string{"--target", "ssh", "--host", fmt.Sprintf("root@127.0.0.1:%d", host.Port),
		"--identity", host.Identity, "--known-hosts", host.KnownHosts}
	with := func(args ...string) []string { return append(args, target...) }
	t.Cleanup(func() { mlforge(t, dir, nil, with("down", "--volumes", "--yes")...) })

	if r := mlforge(t, dir, nil, with("up")...); r.code != 0 {
		t.Fatalf("up --target ssh: exit %d", r.code)
	}
	if r := mlforge(t, dir, nil, with("run", "fail")...); r.code != 3 || !strings.Contains(r.errOut, "failing on purpose") {
		t.Errorf("run fail on the host: exit %d, want 3 with the job's output", r.code)
	}
	if r := mlforge(t, dir, nil, with("run", "train")...); r.code != 0 || !strings.Contains(r.out, "trained version 2") {
		t.Errorf("run train on the host: exit %d\n%s", r.code, r.out)
	}
	if r := mlforge(t, dir, nil, with("logs", "-n", "2", "ticker")...); r.code != 0 || len(strings.Split(strings.TrimSpace(r.out), "\n")) != 2 {
		t.Errorf("logs -n 2 ticker on the host: exit %d\n%s", r.code, r.out)
	}
	if r := mlforge(t, dir, nil, with("logs", "--since", "1h", "serve", "ticker")...); r.code != 0 || !strings.Contains(r.out, "serve-1") || !strings.Contains(r.out, "ticker-1") {
		t.Errorf("logs of two services on the host: exit %d\n%s", r.code, r.out)
	}

	cmd := exec.Command(binary, with("logs", "-f", "-n", "1", "ticker")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	seen := 0
	for deadline := time.Now().Add(30 * time.Second); seen < 3 && time.Now().Before(deadline) && sc.Scan(); {
		if strings.Contains(sc.Text(), "tick ") {
			seen++
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if seen < 3 || err != nil {
			t.Errorf("logs -f on the host: %d new ticks, ended with %v; want 3 and a clean end", seen, err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("logs -f on the host did not end after Ctrl-C")
	}

	if r := mlforge(t, dir, nil, with("status")...); r.code != 0 {
		t.Errorf("status on the host: exit %d", r.code)
	}
	if r := mlforge(t, dir, nil, with("down", "--volumes", "--yes")...); r.code != 0 {
		t.Fatalf("down --volumes on the host: exit %d", r.code)
	}
	if out := host.Exec(t, "docker volume ls -q; docker ps -aq"); strings.TrimSpace(out) != "" {
		t.Errorf("left on the host after down --volumes:\n%s", out)
	}
}
