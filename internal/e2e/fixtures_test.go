package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

// modelCompose is a stack shaped like the template's, small enough to run
// many times: a model server that is healthy once a training job wrote a
// model, a chatty worker, a job that trains (slowly enough to be
// interrupted) and one that fails, and a named volume.
const modelCompose = `services:
  serve:
    image: python:3.11-slim
    init: true
    command: ["python", "/app/serve.py"]
    volumes: ["models:/models", "./serve.py:/app/serve.py:ro"]
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
      interval: 1s
      timeout: 3s
      retries: 600
  ticker:
    image: python:3.11-slim
    init: true
    command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick $$i; sleep 1; done"]
  train:
    profiles: [jobs]
    image: python:3.11-slim
    volumes: ["models:/models"]
    command: ["sh", "-c", "echo training; sleep 4; v=$$(( $$(cat /models/version 2>/dev/null || echo 0) + 1 )); echo $$v > /models/version; echo trained version $$v"]
  fail:
    profiles: [jobs]
    image: python:3.11-slim
    command: ["sh", "-c", "echo failing on purpose >&2; exit 3"]
volumes:
  models: {}
`

// modelProject writes the model stack with its mlforge.yaml into a new
// directory and registers its teardown.
func modelProject(t *testing.T) (dir, name string, port int) {
	t.Helper()
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	dir, name, port = t.TempDir(), testenv.Name(t), testenv.FreePort(t)
	cfg := fmt.Sprintf(`project: %s
services:
  serve:
    role: model
    port: %d
    portEnv: WEB_PORT
    health: /health
jobs:
  train:
    service: train
    runOnUp: true
  fail:
    service: fail
`, name, port)
	serve, err := os.ReadFile("testdata/serve.py")
	if err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string]string{"mlforge.yaml": cfg, "docker-compose.yml": modelCompose, "serve.py": string(serve)} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { down(t, dir) })
	return dir, name, port
}

// projectContainers lists the project's containers, running or not, as
// "service state" lines (one-off job containers included).
func projectContainers(t *testing.T, project string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label=com.docker.compose.project="+project,
		"--format", `{{.Label "com.docker.compose.service"}} {{.State}} {{.Label "com.docker.compose.oneoff"}}`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			list = append(list, l)
		}
	}
	return list
}

// settled waits (bounded) until the project has exactly the running
// services want and nothing else: no one-off job container and no
// stopped container. It returns what it saw last.
func settled(t *testing.T, project string, want ...string) []string {
	t.Helper()
	expect := map[string]bool{}
	for _, w := range want {
		expect[w+" running False"] = true
	}
	var got []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		got = projectContainers(t, project)
		ok := len(got) == len(want)
		for _, g := range got {
			ok = ok && expect[g]
		}
		if ok {
			return nil
		}
	}
	return got
}
