package idle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

func TestScriptPassesShellcheck(t *testing.T) {
	sc := testenv.RequireTool(t, "shellcheck")
	if out, err := exec.Command(sc, "-s", "sh", "-S", "style", "idle.sh").CombinedOutput(); err != nil {
		t.Fatalf("shellcheck idle.sh: %v\n%s", err, out)
	}
}

func TestScriptUsage(t *testing.T) {
	out, err := exec.Command("sh", "idle.sh", "frobnicate").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage:") {
		t.Errorf("unknown subcommand: %v %q", err, out)
	}
}

// The systemd units the agent writes pass systemd's own checks.
func TestUnitsVerify(t *testing.T) {
	analyze := testenv.RequireTool(t, "systemd-analyze")
	dir := t.TempDir()
	self := filepath.Join(dir, "idle.sh")
	if err := os.WriteFile(self, []byte(Script()), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "idle.conf")
	if err := os.WriteFile(conf, []byte(Conf(Options{Project: "taxi", Spot: true})), 0o644); err != nil {
		t.Fatal(err)
	}
	units := filepath.Join(dir, "units")
	cmd := exec.Command("sh", self, "units")
	cmd.Env = append(os.Environ(), "MLFORGE_UNIT_DIR="+units, "MLFORGE_IDLE_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("idle.sh units: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(units, "*"))
	if len(files) != 3 {
		t.Fatalf("units: %v", files)
	}
	if out, err := exec.Command(analyze, append([]string{"verify"}, files...)...).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	timer, _ := os.ReadFile(filepath.Join(units, "mlforge-idle.timer"))
	svc, _ := os.ReadFile(filepath.Join(units, "mlforge-idle.service"))
	if !strings.Contains(string(timer), "OnUnitActiveSec=60") || !strings.Contains(string(svc), "ExecStart="+self+" check") {
		t.Errorf("units:\n%s\n%s", timer, svc)
	}
}
