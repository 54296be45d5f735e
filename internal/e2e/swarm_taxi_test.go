package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/stacktest"
	"github.com/mlforge/mlforge/internal/testenv"
)

// The default template's compose file deploys as a stack in a swarm of
// one manager: up trains the first model as a swarm job and the two
// model server replicas serve it through the proxy; monitor runs as a
// job; status is healthy; down --volumes --leave removes it, its
// volumes and the swarm. Grafana has no image here, so
// it is skipped.
func TestTaxiStackOnASwarm(t *testing.T) {
	testenv.RequireCompose(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0", "haproxy:3.0"} {
		testenv.RequireImage(t, img)
	}
	host := sshtest.Start(t, sshtest.Trixie)
	t.Cleanup(func() { host.TryExec("docker swarm leave --force >/dev/null 2>&1") })
	root := t.TempDir()
	name := testenv.Name(t)
	if r := mlforge(t, root, nil, "new", name, "--set", "project_name="+name); r.code != 0 {
		t.Fatal("new failed")
	}
	dir := filepath.Join(root, name)
	removeImages(t, name)
	t.Cleanup(func() { removeImages(t, name) })
	swarmCfg := fmt.Sprintf("\nssh:\n  identity: %s\n  knownHosts: %s\nswarm:\n  managers: [root@127.0.0.1:%d]\n  encrypt: false\n",
		host.Identity, host.KnownHosts, host.Port)
	f, err := os.OpenFile(filepath.Join(dir, "mlforge.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(swarmCfg)
	f.Close()

	start := time.Now()
	up := mlforge(t, dir, nil, "up", "--target", "swarm", "--skip", "grafana", "--json")
	if up.code != 0 {
		t.Fatalf("up failed:\n%s", up.errOut)
	}
	t.Logf("taxi on a one-node swarm, first up: %s; steps %v", time.Since(start), stepTimes(up.errOut))
	res := decode[struct {
		ModelVersion string `json:"modelVersion"`
		Trained      bool   `json:"trained"`
	}](t, up.out)
	if !res.Trained || res.ModelVersion == "" {
		t.Errorf("up did not train and serve a model: %+v", res)
	}
	target := []string{"--target", "swarm"}
	st := mlforge(t, dir, nil, append([]string{"status", "--json"}, target...)...)
	status := decode[swarmStatus](t, st.out)
	if running, desired, _ := status.service("serve"); st.code != 0 || !status.Healthy || running != 2 || desired != 2 {
		t.Errorf("status: exit %d, %+v", st.code, status)
	}

	tun := exec.Command(binary, append([]string{"tunnel", "serve", "--json"}, target...)...)
	tun.Dir = dir
	out, err := tun.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tun.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tun.Process.Signal(os.Interrupt); tun.Wait() }()
	var forwards []struct{ URL string }
	if err := json.NewDecoder(out).Decode(&forwards); err != nil || len(forwards) != 1 {
		t.Fatalf("tunnel output: %v %+v", err, forwards)
	}
	var port int
	fmt.Sscanf(forwards[0].URL[strings.LastIndex(forwards[0].URL, ":")+1:], "%d", &port)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pred, err := stacktest.Predict(ctx, port, stacktest.CourseRide)
	if err != nil || pred.Duration <= 0 || pred.ModelVersion != res.ModelVersion {
		t.Errorf("predict through the proxy: %+v %v", pred, err)
	}

	if r := mlforge(t, dir, nil, append([]string{"run", "monitor"}, target...)...); r.code != 0 {
		t.Errorf("run monitor on the swarm: exit %d", r.code)
	}
	if vols := host.Exec(t, "docker volume ls -q --filter name="+name+"_"); !strings.Contains(vols, name+"_mlflow") {
		t.Errorf("the stack's volumes on the host: %q", vols)
	}
	if r := mlforge(t, dir, nil, append([]string{"down", "--volumes", "--yes", "--leave"}, target...)...); r.code != 0 {
		t.Errorf("down --volumes --leave: exit %d", r.code)
	}
	if out := host.Exec(t, "docker info --format '{{.Swarm.LocalNodeState}}'"); strings.TrimSpace(out) != "inactive" {
		t.Errorf("the host is still in a swarm: %s", out)
	}
	if vols := host.Exec(t, "docker volume ls -q --filter name="+name+"_"); strings.TrimSpace(vols) != "" {
		t.Errorf("down --volumes left volumes: %q", vols)
	}
}
