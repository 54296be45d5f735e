package stacktest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// CoreServices are the long-running services a test starts: all but
// Grafana, which has no image on machines without a registry (its
// provisioning files are validated statically instead).
var CoreServices = []string{"mlflow", "serve", "prometheus", "pushgateway"}

// LoopServices are CoreServices with the ones that close the loop: Prefect's
// server and the worker running the flows, Alertmanager and its receiver.
var LoopServices = append(append([]string{}, CoreServices...), "prefect", "worker", "alertmanager", "alert-bridge")

// JobsProfile is the compose profile of the one-shot jobs (train, monitor).
const JobsProfile = "jobs"

// Compose runs `docker compose` on the project and returns its combined
// output; the error carries the output's tail.
func (p *Project) Compose(ctx context.Context, args ...string) (string, error) {
	full := []string{"compose", "--project-directory", p.Dir, "-p", p.Name}
	for _, profile := range append([]string{JobsProfile}, p.Profiles...) {
		full = append(full, "--profile", profile)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "docker", full...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), "COMPOSE_PROGRESS=plain", "COMPOSE_ANSI=never")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("docker compose %s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return out.String(), nil
}

// Build builds every image of the stack (the jobs' too).
func (p *Project) Build(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, err := p.Compose(ctx, "build"); err != nil {
		t.Fatalf("building the images: %v", err)
	}
	return time.Since(start)
}

// Up starts services (CoreServices when none are named) and waits until
// their health checks pass. Cleanup removes the containers and volumes.
func (p *Project) Up(t testing.TB, services ...string) {
	t.Helper()
	if len(services) == 0 {
		services = CoreServices
	}
	t.Cleanup(func() { p.Down(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"up", "-d", "--wait", "--wait-timeout", "300"}, services...)
	if _, err := p.Compose(ctx, args...); err != nil {
		t.Fatalf("starting the stack: %v\n%s", err, p.Logs(services...))
	}
}

// Down removes the stack's containers, networks and volumes.
func (p *Project) Down(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := p.Compose(ctx, "down", "-v", "--remove-orphans", "--timeout", "5"); err != nil {
		t.Errorf("removing the stack: %v", err)
	}
}

// Run runs a one-shot job (train, monitor) to completion and returns its output.
func (p *Project) Run(t testing.TB, job string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := p.Compose(ctx, "run", "--rm", "--no-deps", job)
	if err != nil {
		t.Fatalf("job %s: %v\n%s", job, err, p.Logs())
	}
	return out
}

// Logs returns the last lines of the services' logs, for failure messages.
func (p *Project) Logs(services ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := p.Compose(ctx, append([]string{"logs", "--no-color", "--tail", "30"}, services...)...)
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
