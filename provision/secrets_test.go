package provision

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
