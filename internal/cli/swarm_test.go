package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --leave dissolves a swarm: on a target without one it is a usage
// error, before anything is reached.
func TestDownLeaveNeedsASwarm(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mlforge.yaml"), []byte("project: taxi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, "down", "--leave")
	if r.code != 2 || !strings.Contains(r.errOut, "--leave dissolves a swarm; this target has none") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
}

// A swarm without managers is refused when the target opens, naming the
// setting.
func TestSwarmTargetNeedsManagers(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mlforge.yaml"), []byte("project: taxi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, "status", "--target", "swarm")
	if r.code != 2 || !strings.Contains(r.errOut, "target swarm needs at least one manager") || !strings.Contains(r.errOut, "swarm.managers") {
		t.Errorf("exit %d, stderr %q", r.code, r.errOut)
	}
}
