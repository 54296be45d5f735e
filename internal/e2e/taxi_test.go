package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/stacktest"
	"github.com/mlforge/mlforge/internal/testenv"
)

// The default template through mlforge itself: new -> up -> predict ->
// run monitor -> drift in Prometheus -> status --json -> up again is a
// no-op -> down. Grafana has no image on machines without a registry, so
// it is skipped (its provisioning is validated statically elsewhere).
func TestTaxiStackThroughMlforge(t *testing.T) {
	testenv.RequireCompose(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0", "prom/alertmanager:v0.28.1"} {
		testenv.RequireImage(t, img)
	}
	root := t.TempDir()
	name := testenv.Name(t)
	if r := mlforge(t, root, nil, "new", name, "--set", "project_name="+name); r.code != 0 {
		t.Fatal("new failed")
	}
	dir := filepath.Join(root, name)
	// Images left by an earlier run would be reused, by design: start clean.
	removeImages(t, name)
	t.Cleanup(func() { down(t, dir); removeImages(t, name) })
	noSecretsPrinted(t, dir, nil)
	ports := setFreePorts(t, filepath.Join(dir, "mlforge.yaml"), "mlflow", "serve", "prometheus", "pushgateway", "grafana", "prefect", "alertmanager")

	start := time.Now()
	up := mlforge(t, dir, nil, "up", "--skip", "grafana", "--json")
	if up.code != 0 {
		t.Fatalf("up failed:\n%s", up.errOut)
	}
	t.Logf("first up: %s", time.Since(start))
	res := decode[struct {
		ModelVersion string `json:"modelVersion"`
		Trained      bool   `json:"trained"`
	}](t, up.out)
	if !res.Trained || res.ModelVersion == "" {
		t.Errorf("up did not train and serve a model: %+v", res)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pred, err := stacktest.Predict(ctx, ports["serve"], stacktest.CourseRide)
	if err != nil {
		t.Fatalf("predict: %v", err)
	}
	if pred.Duration <= 0 || pred.ModelVersion != res.ModelVersion {
		t.Errorf("prediction %+v (model %s)", pred, res.ModelVersion)
	}

	if r := mlforge(t, dir, nil, "run", "replay"); r.code != 0 || !strings.Contains(r.out, "replayed 500 rides") {
		t.Fatalf("run replay: exit %d", r.code)
	}
	time.Sleep(1500 * time.Millisecond) // the server flushes its prediction log every 0.5 s
	if r := mlforge(t, dir, nil, "run", "monitor"); r.code != 0 || strings.Contains(r.errOut, "warning: only") {
		t.Fatalf("run monitor: exit %d (after 500 rides no small-sample warning is due)", r.code)
	}
	// Links people can open: the published port, never the compose name;
	// and no progress bars in a job's log.
	if r := mlforge(t, dir, nil, "run", "monitor"); !strings.Contains(r.out+r.errOut, fmt.Sprintf("http://127.0.0.1:%d/#/experiments/", ports["mlflow"])) ||
		strings.Contains(r.out+r.errOut, "mlflow:5000") || strings.Contains(r.out+r.errOut, "\r") {
		t.Errorf("run monitor's links and output:\n%s%s", r.out, r.errOut)
	}
	samples, err := stacktest.WaitPrometheus(ctx, ports["prometheus"], "taxi_drift_share", 90*time.Second)
	if err != nil || len(samples) == 0 {
		t.Fatalf("drift metrics never reached Prometheus: %v", err)
	}
	if rows, err := stacktest.QueryPrometheus(ctx, ports["prometheus"], `taxi_monitor_rows{dataset="current"}`); err != nil || len(rows) != 1 || rows[0].Value < 501 {
		t.Errorf("monitored rows = %+v (%v), want the course ride and the 500 replayed", rows, err)
	}

	// The orchestrator's monitor flow, started by name, and the flows in status.
	if r := mlforge(t, dir, nil, "run", "--flow", "monitor"); r.code != 0 || !strings.HasPrefix(r.out, "completed") {
		t.Errorf("run --flow monitor: exit %d, %q", r.code, r.out)
	}
	st := mlforge(t, dir, nil, "status", "--json")
	status := decode[struct {
		Healthy      bool   `json:"healthy"`
		ModelVersion string `json:"modelVersion"`
		Drift        []struct{ Metric string }
		Flows        []struct {
			Name, Every string
			Last        *struct{ State, Message string }
		}
	}](t, st.out)
	if st.code != 0 || !status.Healthy || status.ModelVersion != res.ModelVersion || len(status.Drift) == 0 {
		t.Errorf("status: exit %d %+v", st.code, status)
	}
	flows := map[string]string{}
	for _, fl := range status.Flows {
		flows[fl.Name] = fl.Every
		if fl.Name == "monitor/monitor" && (fl.Last == nil || fl.Last.State != "COMPLETED" || fl.Last.Message == "") {
			t.Errorf("the monitor flow's last run: %+v", fl.Last)
		}
	}
	if flows["monitor/monitor"] != "1h0m0s" || len(flows) < 3 {
		t.Errorf("status shows the flows %v, want monitor every hour, train and retrain", flows)
	}

	before := containerIDs(t, name)
	start = time.Now()
	again := mlforge(t, dir, nil, "up", "--skip", "grafana", "--json")
	t.Logf("no-op up: %s", time.Since(start))
	second := decode[struct {
		Built   []string `json:"built"`
		Trained bool     `json:"trained"`
	}](t, again.out)
	if again.code != 0 || len(second.Built) != 0 || second.Trained {
		t.Errorf("second up was not a no-op: exit %d %+v", again.code, second)
	}
	if after := containerIDs(t, name); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("second up recreated containers: %v -> %v", before, after)
	}

	// A code change rebuilds only the images that copy the code, and
	// recreates only their services (the worker and the alert bridge run
	// the jobs image).
	src := filepath.Join(dir, "src", "taxi_duration", "serve.py")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, append(code, fmt.Sprintf("\n# a one-line change at %d\n", time.Now().UnixNano())...), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := mlforge(t, dir, nil, "up", "--skip", "grafana", "--json")
	third := decode[struct {
		Built  []string `json:"built"`
		Reused []string `json:"reused"`
	}](t, changed.out)
	if changed.code != 0 || strings.Join(third.Built, ",") != name+"-jobs:latest,"+name+"-serve:latest" ||
		strings.Join(third.Reused, ",") != name+"-mlflow:latest" {
		t.Errorf("after a code change: exit %d, built %v, reused %v", changed.code, third.Built, third.Reused)
	}
	after := containerIDs(t, name)
	for svc, id := range before {
		if recreated := after[svc] != id; recreated != (svc == "serve" || svc == "worker" || svc == "alert-bridge") {
			t.Errorf("service %s recreated=%v after a change to serve's code", svc, recreated)
		}
	}

	if r := mlforge(t, dir, nil, "down"); r.code != 0 {
		t.Error("down failed")
	}
}

// setFreePorts rewrites each service's port in mlforge.yaml to a free one
// (mlforge passes them to compose), returning them by service.
func setFreePorts(t *testing.T, path string, services ...string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	ports := map[string]int{}
	current := ""
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if strings.HasSuffix(trimmed, ":") && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "    ") {
			current = strings.TrimSuffix(trimmed, ":")
		}
		if strings.HasPrefix(trimmed, "port:") && current != "" {
			p := testenv.FreePort(t)
			ports[current] = p
			lines[i] = strings.Replace(l, trimmed, fmt.Sprintf("port: %d", p), 1)
		}
	}
	for _, s := range services {
		if ports[s] == 0 {
			t.Fatalf("no port for %s in %s", s, path)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return ports
}
