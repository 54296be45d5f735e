package e2e

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// upSteps are the steps of a local up, in order.
var upSteps = []string{"preflight", "read the compose file", "build images", "start services", "serve a model", "check health"}

// interruptUp starts `mlforge up` (its own process group, as a terminal
// job), waits until step starts, sends sig (to the group for SIGINT, as
// Ctrl-C does; to mlforge alone for SIGKILL) and returns the step that
// was running when it landed, as the progress shows it.
func interruptUp(t *testing.T, dir, step string, sig syscall.Signal) string {
	t.Helper()
	cmd := exec.Command(binary, "up")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errOut syncBuilder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(errOut.String(), "• "+step+"\n") {
			break
		}
	}
	running := lastStarted(errOut.String())
	if sig == syscall.SIGINT {
		syscall.Kill(-cmd.Process.Pid, sig)
	} else {
		cmd.Process.Signal(sig)
	}
	cmd.Wait()
	t.Logf("%s during %q:\n%s", sig, running, errOut.String())
	return running
}

// lastStarted is the step whose start line came last.
func lastStarted(progress string) string {
	step := ""
	for _, l := range strings.Split(progress, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "• "); ok {
			step = s
		}
	}
	return step
}

// An up killed (SIGKILL: no chance to clean up) or interrupted (Ctrl-C) at
// any step is followed by an up that converges: exit 0, `status` healthy
// right after, and no container left over (no one-off job container, no
// stopped container).
func TestInterruptedUpConvergesAtEachStep(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir, name, _ := modelProject(t)
			hit := map[string]bool{}
			for _, step := range upSteps {
				// A fresh start each time, so the slow steps (training) come again.
				if r := mlforge(t, dir, nil, "down", "--volumes", "--yes"); r.code != 0 {
					t.Fatalf("down: exit %d", r.code)
				}
				hit[interruptUp(t, dir, step, sig)] = true
				r := mlforge(t, dir, nil, "up")
				if r.code != 0 {
					t.Fatalf("up after %s at %q: exit %d", sig, step, r.code)
				}
				if st := mlforge(t, dir, nil, "status"); st.code != 0 {
					t.Errorf("status right after the converging up (%s at %q): exit %d", sig, step, st.code)
				}
				if left := settled(t, name, "serve", "ticker"); left != nil {
					t.Errorf("after %s at %q and up: containers %v, want serve and ticker running and nothing else", sig, step, left)
				}
			}
			for _, slow := range []string{"start services", "serve a model"} {
				if !hit[slow] {
					t.Errorf("no %s landed during %q (landed during %v)", sig, slow, hit)
				}
			}
		})
	}
}
