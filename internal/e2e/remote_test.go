package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/stacktest"
	"github.com/mlforge/mlforge/internal/testenv"
)

type remoteJSON struct {
	Built        []string `json:"built"`
	Shipped      []string `json:"shipped"`
	ShippedBytes int64    `json:"shippedBytes"`
	Synced       bool     `json:"synced"`
	Trained      bool     `json:"trained"`
	ModelVersion string   `json:"modelVersion"`
}

// The default template on a fresh SSH host: up --target ssh bootstraps
// Docker there and deploys; through mlforge tunnel the model answers;
// monitor runs there; a second up ships nothing; a code change ships only
// the changed images, as a few layers; down stops it.
func TestTaxiStackOnSSHHost(t *testing.T) {
	testenv.RequireCompose(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0", "prom/alertmanager:v0.28.1"} {
		testenv.RequireImage(t, img)
	}
	host := sshtest.Start(t, sshtest.Trixie)
	root := t.TempDir()
	name := testenv.Name(t)
	if r := mlforge(t, root, nil, "new", name, "--set", "project_name="+name); r.code != 0 {
		t.Fatal("new failed")
	}
	dir := filepath.Join(root, name)
	removeImages(t, name)
	t.Cleanup(func() { removeImages(t, name) })
	target := []string{"--target", "ssh", "--host", fmt.Sprintf("root@127.0.0.1:%d", host.Port),
		"--identity", host.Identity, "--known-hosts", host.KnownHosts}
	key, _ := os.ReadFile(host.Identity)
	noSecretsPrinted(t, dir, map[string]string{"the SSH private key": string(key)})

	start := time.Now()
	first := mlforge(t, dir, nil, append([]string{"up", "--skip", "grafana", "--json"}, target...)...)
	if first.code != 0 {
		t.Fatalf("up --target ssh failed:\n%s", first.errOut)
	}
	t.Logf("up on a fresh host (bootstrap + deploy): %s; steps %v", time.Since(start), stepTimes(first.errOut))
	res := decode[remoteJSON](t, first.out)
	if !res.Trained || res.ModelVersion == "" || !res.Synced || len(res.Shipped) < 4 {
		t.Errorf("first up: %+v", res)
	}
	t.Logf("first up shipped %d images, %d bytes", len(res.Shipped), res.ShippedBytes)

	// The tunnel forwards the host's loopback ports here.
	tunnel := exec.Command(binary, append([]string{"tunnel", "serve", "prometheus", "--json"}, target...)...)
	tunnel.Dir = dir
	out, err := tunnel.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tunnel.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tunnel.Process.Signal(os.Interrupt); tunnel.Wait() }()
	var forwards []struct {
		Service string `json:"service"`
		URL     string `json:"url"`
	}
	if err := json.NewDecoder(out).Decode(&forwards); err != nil || len(forwards) != 2 {
		t.Fatalf("tunnel output: %v %+v", err, forwards)
	}
	ports := map[string]int{}
	for _, fw := range forwards {
		var p int
		fmt.Sscanf(fw.URL[strings.LastIndex(fw.URL, ":")+1:], "%d", &p)
		ports[fw.Service] = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pred, err := stacktest.Predict(ctx, ports["serve"], stacktest.CourseRide)
	if err != nil || pred.Duration <= 0 {
		t.Fatalf("predict through the tunnel: %+v %v", pred, err)
	}

	if r := mlforge(t, dir, nil, append([]string{"run", "monitor"}, target...)...); r.code != 0 {
		t.Fatalf("run monitor on the host: exit %d", r.code)
	}
	if _, err := stacktest.WaitPrometheus(ctx, ports["prometheus"], "taxi_drift_share", 90*time.Second); err != nil {
		t.Fatalf("drift metrics on the host's Prometheus: %v", err)
	}
	st := mlforge(t, dir, nil, append([]string{"status", "--json"}, target...)...)
	if status := decode[struct{ Healthy bool }](t, st.out); st.code != 0 || !status.Healthy {
		t.Errorf("status on the host: exit %d, %+v", st.code, status)
	}

	start = time.Now()
	again := mlforge(t, dir, nil, append([]string{"up", "--skip", "grafana", "--json"}, target...)...)
	t.Logf("no-op re-deploy: %s; steps %v", time.Since(start), stepTimes(again.errOut))
	second := decode[remoteJSON](t, again.out)
	if again.code != 0 || len(second.Shipped) != 0 || second.Synced || second.Trained || second.ShippedBytes != 0 {
		t.Errorf("second up was not a no-op: %+v", second)
	}
	if !strings.Contains(again.errOut, " - start services (all running, nothing changed since the last up)") {
		t.Errorf("the no-op re-deploy ran compose up on the host again:\n%s", again.errOut)
	}

	src := filepath.Join(dir, "src", "taxi_duration", "serve.py")
	code, _ := os.ReadFile(src)
	os.WriteFile(src, append(code, fmt.Sprintf("\n# a one-line change at %d\n", time.Now().UnixNano())...), 0o644)
	changed := mlforge(t, dir, nil, append([]string{"up", "--skip", "grafana", "--json"}, target...)...)
	third := decode[remoteJSON](t, changed.out)
	if changed.code != 0 || strings.Join(third.Shipped, ",") != name+"-jobs:latest,"+name+"-serve:latest" {
		t.Errorf("after a code change shipped %v", third.Shipped)
	}
	if !strings.Contains(changed.errOut, " ✓ start services") {
		t.Errorf("after a code change up did not start the services again:\n%s", changed.errOut)
	}
	if third.ShippedBytes == 0 || third.ShippedBytes > res.ShippedBytes/20 {
		t.Errorf("a one-line change shipped %d bytes (first deploy: %d): layers the host has were sent again", third.ShippedBytes, res.ShippedBytes)
	}
	t.Logf("one-line change shipped %d bytes (full first deploy %d)", third.ShippedBytes, res.ShippedBytes)
	// The images the change replaced are gone from the host; the no-op
	// up before it had nothing to remove.
	if left := strings.Fields(host.Exec(t, "docker images --quiet --filter dangling=true --filter label=com.docker.compose.project="+name)); len(left) != 0 {
		t.Errorf("replaced images left on the host: %v", left)
	}
	if !strings.Contains(changed.errOut, " ✓ remove replaced images") || !strings.Contains(again.errOut, " - remove replaced images (nothing shipped)") {
		t.Errorf("remove replaced images: not run after the change, or run after the no-op:\n%s\n%s", changed.errOut, again.errOut)
	}

	if r := mlforge(t, dir, nil, append([]string{"down"}, target...)...); r.code != 0 {
		t.Error("down on the host failed")
	}
}

// removeImages deletes the images a test project built here.
func removeImages(t *testing.T, project string) {
	out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
	var refs []string
	for _, ref := range strings.Fields(string(out)) {
		if strings.HasPrefix(ref, project+"-") {
			refs = append(refs, ref)
		}
	}
	if len(refs) > 0 {
		exec.Command("docker", append([]string{"rmi", "-f"}, refs...)...).Run()
	}
}

// The app image of TestBuildOnHost: python's http.server serving a page.
const buildOnHostCompose = `services:
  web:
    build: .
    image: ${COMPOSE_PROJECT_NAME}-web:latest
    init: true
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)"]
      interval: 1s
      timeout: 3s
      retries: 30
`

// up --target ssh --build-on-host builds the images on the host from the
// synced project (its base image already there, as a registry would give
// it): nothing is built or shipped from here, a second up rebuilds
// nothing, and a changed file rebuilds and recreates the service.
func TestBuildOnHost(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	host := sshtest.Start(t, sshtest.Trixie)
	dir := project(t, buildOnHostCompose, testenv.FreePort(t))
	name := testenv.Name(t)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM python:3.11-slim\nWORKDIR /srv\nCOPY index.html .\nCMD [\"python\", \"-m\", \"http.server\", \"8000\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>one</p>\n"), 0o644)
	hostArgs := []string{"--host", fmt.Sprintf("root@127.0.0.1:%d", host.Port), "--identity", host.Identity, "--known-hosts", host.KnownHosts}
	target := append([]string{"--target", "ssh"}, hostArgs...)

	if r := mlforge(t, dir, nil, append([]string{"bootstrap"}, hostArgs...)...); r.code != 0 {
		t.Fatalf("bootstrap failed:\n%s", r.errOut)
	}
	load := exec.Command("sh", "-c", "docker save python:3.11-slim | docker exec -i "+host.Name+" docker load -q")
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("loading the base image on the host: %v\n%s", err, out)
	}

	up := func() remoteJSON {
		t.Helper()
		r := mlforge(t, dir, nil, append([]string{"up", "--build-on-host", "--json"}, target...)...)
		if r.code != 0 {
			t.Fatalf("up --build-on-host failed:\n%s", r.errOut)
		}
		return decode[remoteJSON](t, r.out)
	}
	hostImageID := func() string {
		return strings.TrimSpace(host.Exec(t, "docker image inspect --format '{{.Id}}' "+name+"-web:latest"))
	}
	first := up()
	if strings.Join(first.Built, ",") != name+"-web:latest" || len(first.Shipped) != 0 || first.ShippedBytes != 0 || !first.Synced {
		t.Errorf("first up --build-on-host: %+v, want web built on the host, nothing shipped", first)
	}
	if err := exec.Command("docker", "image", "inspect", name+"-web:latest").Run(); err == nil {
		t.Error("the image was built here, not on the host")
	}
	built := hostImageID()
	st := mlforge(t, dir, nil, append([]string{"status", "--json"}, target...)...)
	if status := decode[struct{ Healthy bool }](t, st.out); st.code != 0 || !status.Healthy {
		t.Errorf("status on the host: exit %d, %+v", st.code, status)
	}

	second := up()
	if len(second.Built) != 0 || second.Synced || hostImageID() != built {
		t.Errorf("second up rebuilt or synced: %+v", second)
	}

	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>two</p>\n"), 0o644)
	third := up()
	if strings.Join(third.Built, ",") != name+"-web:latest" || !third.Synced || hostImageID() == built {
		t.Errorf("after a change: %+v, want web rebuilt on the host", third)
	}
	page := host.Exec(t, "docker compose -p "+name+" exec -T web python -c \"print(open('index.html').read())\"")
	if !strings.Contains(page, "two") {
		t.Errorf("the running service serves the old page: %q", page)
	}
	if r := mlforge(t, dir, nil, append([]string{"down"}, target...)...); r.code != 0 {
		t.Error("down on the host failed")
	}
}

// mlforge ssh runs a command in the project directory on the host and
// exits with its code; with a terminal on stdin it opens an interactive
// login shell there, with a terminal on the host.
func TestSSHCommandAndShell(t *testing.T) {
	testenv.RequireDocker(t)
	host := sshtest.Start(t, sshtest.Trixie)
	dir := project(t, "services: {}\n", testenv.FreePort(t))
	name := testenv.Name(t)
	remoteDir := "/root/mlforge/" + name
	host.Exec(t, "mkdir -p "+remoteDir)
	target := []string{"--target", "ssh", "--host", fmt.Sprintf("root@127.0.0.1:%d", host.Port), "--identity", host.Identity, "--known-hosts", host.KnownHosts}

	r := mlforge(t, dir, nil, append(append([]string{"ssh"}, target...), "--", "pwd; tty -s || echo no-tty; exit 3")...)
	if r.code != 3 || r.out != remoteDir+"\nno-tty\n" {
		t.Errorf("ssh -- command: exit %d, output %q; want 3 and %q", r.code, r.out, remoteDir+"\nno-tty\n")
	}

	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"ssh"}, target...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=xterm")
	var out, errOut bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	go io.Copy(io.Discard, ptmx) // nothing is echoed back here: the host's terminal echoes
	fmt.Fprintf(ptmx, "tty -s && echo has-a-tty; echo in-$(pwd)-$((40+2)); exit 7\r")
	err = cmd.Wait()
	code := -1
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	}
	got := strings.ReplaceAll(out.String(), "\r", "")
	if code != 7 || !strings.Contains(got, "has-a-tty\n") || !strings.Contains(got, "in-"+remoteDir+"-42\n") {
		t.Errorf("interactive ssh: exit %d (%v)\nstdout %q\nstderr %q", code, err, got, errOut.String())
	}
}
