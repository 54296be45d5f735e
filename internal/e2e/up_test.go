package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

type upJSON struct {
	Built     []string `json:"built"`
	Reused    []string `json:"reused"`
	Endpoints []struct {
		Service, URL, State string
		Healthy             bool
	} `json:"endpoints"`
}

// The blank template: new -> up -> status -> up again (a no-op) -> down.
func TestBlankUpIsIdempotent(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	root := t.TempDir()
	name := testenv.Name(t)
	port := testenv.FreePort(t)
	r := mlforge(t, root, nil, "new", name, "--template", "blank", "--set", "project_name="+name, "--set", fmt.Sprintf("app_port=%d", port))
	if r.code != 0 {
		t.Fatal("new failed")
	}
	dir := filepath.Join(root, name)
	t.Cleanup(func() { down(t, dir); removeImages(t, name) })

	first := mlforge(t, dir, nil, "up", "--json")
	if first.code != 0 {
		t.Fatalf("up failed: %s", first.errOut)
	}
	res := decode[upJSON](t, first.out)
	if len(res.Endpoints) != 1 || !res.Endpoints[0].Healthy || res.Endpoints[0].URL != fmt.Sprintf("http://127.0.0.1:%d", port) {
		t.Errorf("endpoints %+v", res.Endpoints)
	}
	for _, step := range []string{" ✓ preflight", " ✓ build images", " ✓ start services", " - serve a model (no model service"} {
		if !strings.Contains(first.errOut, step) {
			t.Errorf("progress lacks %q", step)
		}
	}
	before := containerIDs(t, name)

	st := mlforge(t, dir, nil, "status", "--json")
	status := decode[struct{ Healthy bool }](t, st.out)
	if st.code != 0 || !status.Healthy {
		t.Errorf("status: exit %d, healthy %v", st.code, status.Healthy)
	}

	again := mlforge(t, dir, nil, "up", "--json")
	res2 := decode[upJSON](t, again.out)
	if again.code != 0 || len(res2.Built) != 0 {
		t.Errorf("second up: exit %d, built %v", again.code, res2.Built)
	}
	after := containerIDs(t, name)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("second up recreated containers: %v -> %v", before, after)
	}
	if !strings.Contains(again.errOut, " - start services (all running, nothing changed since the last up)") {
		t.Errorf("second up ran compose up again:\n%s", again.errOut)
	}

	// A service stopped behind mlforge's back, then a changed setting:
	// each time up starts services again.
	if out, err := exec.Command("docker", "stop", name+"-app-1").CombinedOutput(); err != nil {
		t.Fatalf("docker stop: %v\n%s", err, out)
	}
	restarted := mlforge(t, dir, nil, "up", "--json")
	if res := decode[upJSON](t, restarted.out); restarted.code != 0 || !strings.Contains(restarted.errOut, " ✓ start services") ||
		len(res.Endpoints) != 1 || !res.Endpoints[0].Healthy {
		t.Errorf("up after the app was stopped: exit %d, %+v\n%s", restarted.code, res.Endpoints, restarted.errOut)
	}
	moved := setFreePorts(t, filepath.Join(dir, "mlforge.yaml"), "app")["app"]
	changed := mlforge(t, dir, nil, "up", "--json")
	res3 := decode[upJSON](t, changed.out)
	if changed.code != 0 || !strings.Contains(changed.errOut, " ✓ start services") || len(res3.Endpoints) != 1 ||
		res3.Endpoints[0].URL != fmt.Sprintf("http://127.0.0.1:%d", moved) || !res3.Endpoints[0].Healthy {
		t.Errorf("up after the port changed: exit %d, %+v\n%s", changed.code, res3.Endpoints, changed.errOut)
	}

	if d := mlforge(t, dir, nil, "down"); d.code != 0 {
		t.Fatal("down failed")
	}
	if ids := containerIDs(t, name); len(ids) != 0 {
		t.Errorf("containers left after down: %v", ids)
	}
	if st := mlforge(t, dir, nil, "status"); st.code != 1 || !strings.Contains(st.out, "is not running") {
		t.Errorf("status after down: exit %d", st.code)
	}
}

const brokenCompose = `services:
  web:
    image: python:3.11-slim
    command: ["sh", "-c", "echo starting web; echo cannot bind: permission denied >&2; sleep 600"]
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "raise SystemExit('health: nothing listens on 8000')"]
      interval: 1s
      timeout: 2s
      retries: 2
`

func TestUpNamesTheUnhealthyServiceAndShowsWhy(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	dir := project(t, brokenCompose, testenv.FreePort(t))
	r := mlforge(t, dir, nil, "up", "--timeout", "2m")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	for _, want := range []string{
		" ✗ start services",
		"last log lines of web:",
		"cannot bind: permission denied",
		"health check of web (CMD python -c",
		"health: nothing listens on 8000",
		"error: start services: service web did not become healthy: unhealthy",
		"hint: fix what its logs above show",
	} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

func TestUpWithDockerStopped(t *testing.T) {
	dir := project(t, brokenCompose, 18080)
	sock := filepath.Join(t.TempDir(), "docker.sock") // no engine listens here
	r := mlforge(t, dir, []string{"DOCKER_HOST=unix://" + sock}, "up")
	if r.code != 1 || !strings.Contains(r.errOut, "error: preflight: Docker is not running") ||
		!strings.Contains(r.errOut, "hint: start it (sudo systemctl start docker), or run `mlforge bootstrap --local`") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.errOut)
	}
}

func TestUpWithPortTaken(t *testing.T) {
	testenv.RequireCompose(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := project(t, brokenCompose, port)
	r := mlforge(t, dir, nil, "up")
	want := fmt.Sprintf("error: preflight: port %d for service web is already in use on 127.0.0.1\nhint: change services.web.port in mlforge.yaml", port)
	if r.code != 1 || !strings.Contains(r.errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.errOut, want)
	}
}

const slowCompose = `services:
  web:
    image: python:3.11-slim
    command: ["sh", "-c", "sleep 4; exec python -m http.server 8000"]
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=2)"]
      interval: 1s
      timeout: 3s
      retries: 30
`

// Ctrl-C while waiting for services, then up again: it converges.
func TestInterruptedUpConverges(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	dir := project(t, slowCompose, testenv.FreePort(t))
	cmd := exec.Command(binary, "up")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(errOut.String(), "• start services") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() == 0 {
		t.Fatalf("interrupted up: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("no 'interrupted' in:\n%s", errOut.String())
	}
	r := mlforge(t, dir, nil, "up", "--json")
	if r.code != 0 {
		t.Fatalf("up after interrupt: exit %d", r.code)
	}
	if res := decode[upJSON](t, r.out); len(res.Endpoints) != 1 || !res.Endpoints[0].Healthy {
		t.Errorf("after interrupt: %+v", res.Endpoints)
	}
}

// web, and a db behind a profile (as the template's optional PostgreSQL).
const profileCompose = `services:
  web:
    image: python:3.11-slim
    init: true
    command: ["python", "-m", "http.server", "8000"]
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=2)"]
      interval: 1s
      retries: 30
  db:
    profiles: [db]
    image: python:3.11-slim
    init: true
    command: ["python", "-m", "http.server", "8001"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/', timeout=2)"]
      interval: 1s
      retries: 30
`

// A service behind a profile runs only when COMPOSE_PROFILES (here in the
// project's .env, as the template's README says for PostgreSQL) enables
// it; then up waits for it and status reports it.
func TestComposeProfilesFromEnvFile(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	dir := project(t, profileCompose, testenv.FreePort(t))
	services := func() []string {
		t.Helper()
		st := mlforge(t, dir, nil, "status", "--json")
		var names []string
		for _, s := range decode[struct{ Services []struct{ Service string } }](t, st.out).Services {
			names = append(names, s.Service)
		}
		return names
	}
	if r := mlforge(t, dir, nil, "up"); r.code != 0 {
		t.Fatalf("up failed:\n%s", r.errOut)
	}
	if got := strings.Join(services(), ","); got != "web" {
		t.Errorf("without the profile: services %s, want web", got)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("COMPOSE_PROFILES=db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := mlforge(t, dir, nil, "up"); r.code != 0 {
		t.Fatalf("up with COMPOSE_PROFILES=db failed:\n%s", r.errOut)
	}
	if got := strings.Join(services(), ","); got != "db,web" {
		t.Errorf("with the profile: services %s, want db,web", got)
	}
	if st := mlforge(t, dir, nil, "status"); st.code != 0 || !strings.Contains(st.out, "db ") {
		t.Errorf("status with the profile: exit %d, output lacks db", st.code)
	}
}
