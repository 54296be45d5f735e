package quietterm

import (
	"bytes"
	"os"
	"testing"
)

// startTERM reads TERM from the environment the process started with
// (/proc/self/environ is not changed by Setenv).
func startTERM(t *testing.T) (string, bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		t.Skipf("no /proc/self/environ: %v", err)
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("TERM=")); ok {
			return string(v), true
		}
	}
	return "", false
}

func TestInitSetsDumbAndRestoreGivesItBack(t *testing.T) {
	want, had := startTERM(t)
	if got := os.Getenv("TERM"); got != "dumb" {
		t.Fatalf("during initialisation TERM is %q, want dumb", got)
	}
	t.Cleanup(func() { _ = os.Setenv("TERM", "dumb") })
	Restore()
	got, has := os.LookupEnv("TERM")
	if got != want || has != had {
		t.Errorf("after Restore TERM is %q (set %v), want %q (set %v)", got, has, want, had)
	}
}
