package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

// The Codespaces path, proven with the real Dev Containers CLI: a project
// freshly scaffolded by the snapshot's mlforge comes up in its devcontainer
// (`devcontainer up`), and inside it `mlforge up` runs the stack and the
// model server answers a prediction.
//
// What differs from a Codespace, because no registry answers here: the base
// image is a local stand-in with the same name; the mlforge Feature is the
// repository's own folder (the published one lives on ghcr.io), installing
// the snapshot bundled with it; and Docker comes from the host through its
// socket (docker-outside-of-docker) instead of the docker-in-docker Feature,
// whose privileged container cannot run here. So that the stack's bind
// mounts and loopback ports mean the same inside and outside, the workspace
// is mounted at its host path and the container shares the host's network.
// The postCreateCommand keeps `make env` and drops `make setup` (the dev
// virtualenv, minutes of downloads that `mlforge up` does not use). Grafana
// has no image here: `mlforge up --skip grafana`.
func TestDevcontainerUpThenPredict(t *testing.T) {
	testenv.RequireCompose(t)
	for _, img := range []string{devcontainerBase, "python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0"} {
		testenv.RequireImage(t, img)
	}
	cli := requireDevcontainerCLI(t)
	r := snapshot(t)
	name := testenv.Name(t)
	dir := filepath.Join(t.TempDir(), name)
	mlforge := extractBinary(t, r)
	if out, err := exec.Command(mlforge, "new", dir, "--set", "project_name="+name).CombinedOutput(); err != nil {
		t.Fatalf("mlforge new: %v\n%s", err, out)
	}
	ports := setFreePorts(t, filepath.Join(dir, "mlforge.yaml"))
	localDevcontainer(t, dir, r)

	before := vscImages(t)
	t.Cleanup(func() {
		cli.command(context.Background(), "exec", "--workspace-folder", dir, "mlforge", "down", "--volumes", "--yes").Run()
		removeContainers(t, dir)
		removeNewVSCImages(t, before)
		removeImages(t, name)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	start := time.Now()
	up := cli.command(ctx, "up", "--workspace-folder", dir, "--remove-existing-container")
	out, err := up.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"outcome":"success"`) {
		t.Fatalf("devcontainer up: %v\n%s", err, tail(string(out), 60))
	}
	upTime := time.Since(start)
	if !strings.Contains(string(out), "mlforge: Docker engine") {
		t.Errorf("the Feature's start-up check did not find the Docker engine:\n%s", tail(string(out), 30))
	}
	inside := func(args ...string) (string, error) {
		cmd := cli.command(ctx, append([]string{"exec", "--workspace-folder", dir}, args...)...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if v, err := inside("mlforge", "version", "--json"); err != nil || !strings.Contains(v, `"version": "`+r.Version+`"`) {
		t.Fatalf("mlforge in the devcontainer: %v\n%s", err, v)
	}
	if o, err := inside("bash", "-c", "test -s /etc/bash_completion.d/mlforge && echo completion"); err != nil || !strings.Contains(o, "completion") {
		t.Errorf("no bash completion in the devcontainer: %v %s", err, o)
	}
	if o, err := inside("mlforge", "up", "--skip", "grafana"); err != nil {
		t.Fatalf("mlforge up in the devcontainer: %v\n%s", err, tail(o, 60))
	}
	body := `{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 40}`
	o, err := inside("curl", "-sS", "--fail-with-body", "-X", "POST", fmt.Sprintf("http://127.0.0.1:%d/predict", ports["serve"]),
		"-H", "content-type: application/json", "-d", body)
	if err != nil {
		t.Fatalf("prediction in the devcontainer: %v\n%s", err, o)
	}
	var pred struct {
		Duration     float64 `json:"duration"`
		ModelVersion string  `json:"model_version"`
	}
	if err := json.Unmarshal([]byte(lastLine(o)), &pred); err != nil || pred.Duration <= 0 {
		t.Fatalf("prediction %q: %v", o, err)
	}
	total := time.Since(start)
	t.Logf("devcontainer up: %s; devcontainer up to the first prediction: %s (predicted %.1f min)", upTime.Round(time.Second), total.Round(time.Second), pred.Duration)
	fmt.Printf("devcontainer: up %.0f s, up to first prediction %.0f s\n", upTime.Seconds(), total.Seconds())
}

// localDevcontainer rewrites the project's devcontainer.json for this
// machine, as the test's comment says, and puts the Feature beside it.
func localDevcontainer(t *testing.T, dir string, r *Release) {
	t.Helper()
	path := filepath.Join(dir, ".devcontainer", "devcontainer.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dc map[string]any
	if err := json.Unmarshal(stripComments(b), &dc); err != nil {
		t.Fatal(err)
	}
	features := dc["features"].(map[string]any)
	opts, ok := features["ghcr.io/mlforge/mlforge/mlforge:1"].(map[string]any)
	if !ok || dc["image"] != devcontainerBase {
		t.Fatalf("the devcontainer does not use the mlforge Feature on %s: %v", devcontainerBase, dc)
	}
	opts["version"], opts["baseUrl"] = r.Version, "./release"
	dc["features"] = map[string]any{"./mlforge": opts}
	dc["mounts"] = []string{"source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"}
	dc["runArgs"] = []string{"--network=host"}
	dc["workspaceMount"] = "source=" + dir + ",target=" + dir + ",type=bind"
	dc["workspaceFolder"] = dir
	if !strings.Contains(fmt.Sprint(dc["postCreateCommand"]), "make env") {
		t.Fatalf("postCreateCommand %v no longer writes .env", dc["postCreateCommand"])
	}
	dc["postCreateCommand"] = "make env"
	out, err := json.MarshalIndent(dc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	feature := filepath.Join(dir, ".devcontainer", "mlforge")
	if err := os.MkdirAll(feature, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join(testenv.RepoRoot(t), "features", "src", "mlforge"), feature)
	bundleRelease(t, r, filepath.Join(feature, "release"))
}

// extractBinary unpacks the snapshot's mlforge.
func extractBinary(t *testing.T, r *Release) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(r.Dir, "mlforge_linux_amd64.tar.gz"), "-C", dir, "mlforge").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return filepath.Join(dir, "mlforge")
}

// setFreePorts gives every service in mlforge.yaml a free port (mlforge
// passes them to compose), returning them by service.
func setFreePorts(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	ports, current := map[string]int{}, ""
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if strings.HasSuffix(trimmed, ":") && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") {
			current = strings.TrimSuffix(trimmed, ":")
		}
		if strings.HasPrefix(trimmed, "port:") && current != "" {
			ports[current] = testenv.FreePort(t)
			lines[i] = strings.Replace(l, trimmed, fmt.Sprintf("port: %d", ports[current]), 1)
		}
	}
	if ports["serve"] == 0 {
		t.Fatalf("no serve port in %s", path)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return ports
}

// removeContainers removes the devcontainer of the workspace dir.
func removeContainers(t *testing.T, dir string) {
	out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=devcontainer.local_folder="+dir).Output()
	for _, id := range strings.Fields(string(out)) {
		_ = exec.Command("docker", "rm", "-f", id).Run()
	}
}

// removeImages removes the images the project's stack built.
func removeImages(t *testing.T, project string) {
	out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference="+project+"-*").Output()
	for _, img := range strings.Fields(string(out)) {
		_ = exec.Command("docker", "rmi", "-f", img).Run()
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// stripComments removes // line comments outside strings (JSONC).
func stripComments(in []byte) []byte {
	var out bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
		}
		if i < len(in) {
			out.WriteByte(in[i])
		}
	}
	return out.Bytes()
}
