// Package e2e drives the built mlforge binary the way a user does, against
// a real Docker engine: scaffold, up, status, run, down, and the faults
// around them.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

var binary string

// printed is everything mlforge printed in these tests, by test: no
// secret may appear in it.
var printed testenv.Printed

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlforge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mlforge")
	build := exec.Command("go", "build", "-o", binary, "github.com/mlforge/mlforge/cmd/mlforge")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mlforge:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one finished mlforge invocation.
type result struct {
	code        int
	out, errOut string
}

// mlforge runs the binary in dir with extra environment.
func mlforge(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running mlforge %v: %v", args, err)
	}
	printed.Add(t, out.String(), errOut.String())
	t.Logf("mlforge %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return result{code, out.String(), errOut.String()}
}

// project writes a small compose project with mlforge.yaml into a new
// directory and registers its teardown.
func project(t *testing.T, compose string, port int) string {
	t.Helper()
	dir := t.TempDir()
	name := testenv.Name(t)
	cfg := fmt.Sprintf("project: %s\nservices:\n  web:\n    port: %d\n    portEnv: WEB_PORT\n", name, port)
	for file, content := range map[string]string{"mlforge.yaml": cfg, "docker-compose.yml": compose} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { down(t, dir) })
	return dir
}

func down(t *testing.T, dir string) {
	cmd := exec.Command(binary, "down", "--volumes", "--yes")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("cleanup down: %v\n%s", err, out)
	}
}

// containerIDs returns the project's container IDs by service.
func containerIDs(t *testing.T, project string) map[string]string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label=com.docker.compose.project="+project,
		"--format", `{{.ID}} {{.Label "com.docker.compose.service"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if id, svc, ok := strings.Cut(line, " "); ok {
			ids[svc] = id
		}
	}
	return ids
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

// syncBuilder is a strings.Builder safe for a writer and a reader at once.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// noSecretsPrinted checks, when the test ends, that nothing mlforge
// printed during it (stdout, stderr, --json) holds a secret of the project
// in dir (the generated passwords in its .env) or one of extra.
func noSecretsPrinted(t *testing.T, dir string, extra map[string]string) {
	t.Cleanup(func() {
		secrets := testenv.EnvSecrets(t, filepath.Join(dir, ".env"))
		for k, v := range extra {
			secrets[k] = v
		}
		testenv.NoSecrets(t, printed.Of(t), secrets)
	})
}
