package stacktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetEnv(t *testing.T) {
	for _, tc := range []struct {
		name, before, want string
		set                map[string]string
	}{
		{"replaces and keeps others", "# c\nA=1\nSECRET=x\n", "# c\nA=2\nSECRET=x\n", map[string]string{"A": "2"}},
		{"appends missing keys sorted", "A=1\n", "A=1\nB=2\nC=3\n", map[string]string{"C": "3", "B": "2"}},
		{"creates the file", "", "A=1\n", map[string]string{"A": "1"}},
		{"leaves comments alone", "#A=1\n", "#A=1\nA=2\n", map[string]string{"A": "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".env")
			if tc.before != "" {
				if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := SetEnv(path, tc.set); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", info.Mode().Perm())
			}
		})
	}
}

func TestScaffoldWritesPortsIntoEnv(t *testing.T) {
	p := Scaffold(t, Options{Env: map[string]string{"MODEL_POLL_SECONDS": "2"}})
	data, err := os.ReadFile(filepath.Join(p.Dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for k, v := range p.Ports.Env() {
		if env[k] != v {
			t.Errorf(".env %s = %q, want %q", k, env[k], v)
		}
	}
	if env["MODEL_POLL_SECONDS"] != "2" {
		t.Errorf(".env MODEL_POLL_SECONDS = %q, want 2", env["MODEL_POLL_SECONDS"])
	}
	if len(env["GRAFANA_ADMIN_PASSWORD"]) != 32 {
		t.Errorf(".env GRAFANA_ADMIN_PASSWORD = %q, want the generated 32 hex digits", env["GRAFANA_ADMIN_PASSWORD"])
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "docker-compose.yml")); err != nil {
		t.Errorf("no compose file: %v", err)
	}
}
