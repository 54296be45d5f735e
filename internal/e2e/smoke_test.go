package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// The real-AWS smoke script cannot run here; without credentials it must
// refuse, say why, and create nothing.
func TestAWSSmokeRefusesWithoutCredentials(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(testenv.RepoRoot(t), "scripts", "aws-smoke.sh"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp, "MLFORGE=" + binary,
		"MLFORGE_HOME=" + filepath.Join(tmp, "mlforge"), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1"}
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 2 {
		t.Fatalf("aws-smoke.sh without credentials: %v, want exit 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "no working AWS credentials") || !strings.Contains(string(out), "Nothing was created") {
		t.Errorf("the refusal does not say why:\n%s", out)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 1 {
		t.Errorf("it left files behind: %v", entries)
	}
}
