package provision

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mlforge/mlforge/internal/errs"
)

func TestPassphrase(t *testing.T) {
	noEnv := func(string) string { return "" }
	file := filepath.Join(t.TempDir(), "taxi", "dev", "passphrase")

	// Concurrent first runs agree on one passphrase.
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := Passphrase(file, noEnv, true)
			if err != nil {
				t.Error(err)
			}
			got[i] = p
		}(i)
	}
	wg.Wait()
	for _, p := range got[1:] {
		if p != got[0] || len(p) < 40 {
			t.Fatalf("passphrases differ or are short: %q", got)
		}
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("passphrase file mode: %v %v", st, err)
	}

	if p, _ := Passphrase(file, func(k string) string {
		if k == PassphraseEnv {
			return "from-env"
		}
		return ""
	}, true); p != "from-env" {
		t.Errorf("%s not preferred: %q", PassphraseEnv, p)
	}

	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Passphrase(file, noEnv, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable passphrase file: want a chmod hint, got %v", err)
	}
}

// The passphrase comes from MLFORGE_PASSPHRASE, else pulumi's own variable
// (never replaced by a generated one), and a CI runner never generates one.
func TestPassphraseSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passphrase")
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	if p, err := Passphrase(file, env(map[string]string{PulumiPassphraseEnv: "from-pulumi"}), true); err != nil || p != "from-pulumi" {
		t.Errorf("PULUMI_CONFIG_PASSPHRASE: %q, %v", p, err)
	}
	if p, _ := Passphrase(file, env(map[string]string{PassphraseEnv: "ours", PulumiPassphraseEnv: "pulumi's"}), true); p != "ours" {
		t.Errorf("MLFORGE_PASSPHRASE does not win: %q", p)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a passphrase from the environment was written to %s", file)
	}
	_, err := Passphrase(file, env(map[string]string{"CI": "true"}), true)
	if err == nil || !strings.Contains(err.Error(), "no secrets passphrase on this CI runner") || !strings.Contains(errs.Hint(err), "CI secret") {
		t.Errorf("CI without a passphrase: %v (hint %q)", err, errs.Hint(err))
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Error("a CI run generated a passphrase")
	}
	if _, err := Passphrase(file, env(nil), false); err == nil || !strings.Contains(err.Error(), "not on this machine") {
		t.Errorf("read-only without one: %v", err)
	}
}
