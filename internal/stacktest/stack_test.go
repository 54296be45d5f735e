package stacktest

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

// requireStack needs what the stack runs on: Docker, Compose v2 and the
// base images (stand-ins where no registry is reachable).
func requireStack(t *testing.T) {
	t.Helper()
	testenv.RequireCompose(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0", S3Image, "postgres:16"} {
		testenv.RequireImage(t, img)
	}
}

// TestStackEndToEnd scaffolds the taxi-duration project and runs it with
// plain docker compose: train registers a production model, the server
// answers the course's ride, monitor pushes drift metrics that Prometheus
// serves, and the retrain job started through Prefect trains on months
// found under the S3 prefix. The stack runs in the template's other
// configuration here, the one a team or the aws target uses: MLflow's runs
// and registry and Prefect's database in PostgreSQL (the postgres
// profile), artifacts and new months on S3 (moto serves the bucket).
// `mlforge up`'s tests and TestClosedLoop run the default SQLite and
// volume stores.
func TestStackEndToEnd(t *testing.T) {
	requireStack(t)
	start := time.Now()
	step := func(what string) { t.Logf("%-34s at %5.1fs", what, time.Since(start).Seconds()) }
	p := Scaffold(t, Options{Env: map[string]string{"MODEL_POLL_SECONDS": "2"}})
	const bucket = "taxi-artifacts"
	p.WithS3(t, bucket)
	p.WithPostgres(t)
	p.Build(t)
	step("images built")
	checkLeanImages(t, p, "serve", "train", "mlflow", "prefect")
	step("images checked lean")
	p.Up(t, append(append([]string{}, CoreServices...), "prefect", "worker")...)
	step("stack healthy")
	ctx := context.Background()
	// The MLflow server runs without MLflow 3's job runner (its huey
	// consumers would hold 2 GB for jobs the stack never submits).
	if procs, err := p.Compose(ctx, "top", "mlflow"); err != nil || strings.Contains(procs, "huey") {
		t.Fatalf("the MLflow server's processes (%v):\n%s", err, procs)
	}
	if err := CreateBucket(ctx, p.Ports.S3, bucket); err != nil {
		t.Fatal(err)
	}
	serve := p.Ports.Serve

	if err := WaitHTTP(ctx, Local(serve, "/health"), http.StatusServiceUnavailable, 30*time.Second); err != nil {
		t.Fatalf("before training the server must report no model: %v", err)
	}

	out := p.Run(t, "train")
	if !strings.Contains(out, "version 1") || !strings.Contains(out, "is now @production") {
		t.Fatalf("train did not promote version 1:\n%s", tail(out, 10))
	}
	step("trained")
	requireS3Key(t, p.Ports.S3, bucket, "MLmodel")
	models, err := p.Compose(ctx, "exec", "-T", "postgres", "psql", "-U", "mlflow", "-d", "mlflow", "-tAc", "select name from registered_models")
	if err != nil || strings.TrimSpace(models) != "taxi-duration" {
		t.Fatalf("the registry in PostgreSQL holds %q (%v), want taxi-duration", models, err)
	}
	if err := WaitHTTP(ctx, Local(serve, "/health"), http.StatusOK, 60*time.Second); err != nil {
		t.Fatalf("the server did not load the promoted model: %v\n%s", err, p.Logs("serve"))
	}
	step("model loaded")

	pred, err := Predict(ctx, serve, CourseRide)
	if err != nil {
		t.Fatal(err)
	}
	if pred.Duration <= 0 || pred.ModelVersion != "1" {
		t.Fatalf("prediction for the course's ride = %+v, want a positive duration from version 1", pred)
	}
	t.Logf("course ride: %.1f minutes (model version %s)", pred.Duration, pred.ModelVersion)

	rides := make([]Ride, 40)
	for i := range rides {
		rides[i] = Ride{PULocationID: 1 + i%20, DOLocationID: 100 + i%7, TripDistance: 0.5 + float64(i)/4}
	}
	batch, err := PredictBatch(ctx, serve, rides)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(rides) {
		t.Fatalf("batch answered %d predictions for %d rides", len(batch), len(rides))
	}

	checkBadInput(t, serve)

	// A second training on the same data is not better: the alias stays.
	if out := p.Run(t, "train"); !strings.Contains(out, "version 2") || !strings.Contains(out, "not promoted") {
		t.Fatalf("retraining on the same data must not move the alias:\n%s", tail(out, 10))
	}
	if pred, err := Predict(ctx, serve, CourseRide); err != nil || pred.ModelVersion != "1" {
		t.Fatalf("after a rejected candidate the server must still serve version 1: %+v, %v", pred, err)
	}

	step("retrained, alias kept")
	// Moving the alias by hand: the server switches without a restart.
	if err := SetAlias(ctx, p.Ports.MLflow, "taxi-duration", "production", "2"); err != nil {
		t.Fatal(err)
	}
	if err := WaitModelVersion(ctx, serve, "2", 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.Logs("serve"))
	}

	step("alias moved, new model served")
	time.Sleep(1500 * time.Millisecond) // the server flushes its prediction log every 0.5 s
	if out := p.Run(t, "monitor"); !strings.Contains(out, "drift share") {
		t.Fatalf("monitor did not report drift:\n%s", tail(out, 10))
	}
	step("monitored")
	requireS3Key(t, p.Ports.S3, bucket, "drift_report.html")
	prom := p.Ports.Prometheus
	share, err := WaitPrometheus(ctx, prom, "taxi_drift_share", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if v := share[0].Value; v < 0 || v > 1 {
		t.Fatalf("taxi_drift_share = %v, want a share between 0 and 1", v)
	}
	rows, err := QueryPrometheus(ctx, prom, `taxi_monitor_rows{dataset="current"}`)
	if err != nil || len(rows) != 1 || rows[0].Value < float64(1+len(rides)+2) {
		t.Fatalf("current rows = %+v (%v), want at least the %d logged predictions", rows, err, 1+len(rides)+2)
	}
	features, err := QueryPrometheus(ctx, prom, "taxi_feature_drift_score")
	if err != nil || len(features) != 4 {
		t.Fatalf("per-feature drift = %+v (%v), want 4 columns", features, err)
	}
	if _, err := WaitPrometheus(ctx, prom, `taxi_requests_total{code="200"} > 0`, 60*time.Second); err != nil {
		t.Fatalf("prometheus does not scrape the model server: %v", err)
	}
	step("drift metrics in prometheus")

	retrainFromS3(t, p, bucket)
	step("retrained on months from S3, through Prefect")
}

// retrainFromS3 puts two drifted months under the bucket's incoming/
// prefix (and nowhere else), runs the retrain job (Prefect's CLI starts
// the deployment and watches it) and wants the challenger trained on the
// first and promoted on the second; Prefect's own tables live in
// PostgreSQL.
func retrainFromS3(t *testing.T, p *Project, bucket string) {
	t.Helper()
	ctx := context.Background()
	p.DropMonths(t, "2024-03", "2024-04")
	for _, month := range []string{"2024-03", "2024-04"} {
		name := "green_tripdata_" + month + ".parquet"
		path := filepath.Join(p.Dir, "data", "incoming", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := PutS3Object(ctx, p.Ports.S3, bucket, "incoming/"+name, data); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(path); err != nil { // INCOMING_URI alone must bring it
			t.Fatal(err)
		}
	}
	if out := p.Run(t, "retrain"); !strings.Contains(out, "Flow run finished successfully in 'Completed'") {
		t.Fatalf("the retrain job did not complete:\n%s", tail(out, 15))
	}
	runs, err := FlowRuns(ctx, p.Ports.Prefect, "retrain")
	if err != nil || len(runs) == 0 {
		t.Fatalf("retrain runs: %v, %v", runs, err)
	}
	if msg := runs[0].Message(); !strings.HasPrefix(msg, "promoted challenger version 3") || !strings.Contains(msg, "on 2024-04") ||
		!strings.Contains(msg, "trained on 2024-03") {
		t.Fatalf("the retrain run ended with %q, want version 3 promoted on April after training on March", msg)
	}
	mv, err := ModelVersion(ctx, p.Ports.MLflow, "taxi-duration", "3")
	if err != nil {
		t.Fatal(err)
	}
	run, err := Run(ctx, p.Ports.MLflow, mv.RunID)
	if err != nil || run.Params["trigger"] != "manual" || run.Params["val_data"] != "green_tripdata_2024-04.parquet" {
		t.Fatalf("the challenger's MLflow run has params %v (%v), want trigger manual and April held out", run.Params, err)
	}
	deployments, err := p.Compose(ctx, "exec", "-T", "postgres", "psql", "-U", "mlflow", "-d", "prefect", "-tAc", "select name from deployment order by name")
	if err != nil || strings.Join(strings.Fields(deployments), ",") != "monitor,retrain,train" {
		t.Fatalf("Prefect's deployments in PostgreSQL: %q (%v), want monitor, retrain, train", deployments, err)
	}
	if err := WaitModelVersion(ctx, p.Ports.Serve, "3", time.Minute); err != nil {
		t.Fatal(err)
	}
}

// checkBadInput posts rides with a bad field and wants a 4xx naming it.
func checkBadInput(t *testing.T, port int) {
	t.Helper()
	for _, tc := range []struct{ body, field string }{
		{`{"PULocationID": "ten", "DOLocationID": 50, "trip_distance": 40}`, "PULocationID"},
		{`{"PULocationID": 10, "DOLocationID": 50}`, "trip_distance"},
		{`[{"PULocationID": 10, "DOLocationID": 50, "trip_distance": 1}, {"PULocationID": 10, "trip_distance": 1}]`, "[1].DOLocationID"},
		{`{not json`, "JSON"},
	} {
		resp, err := http.Post(Local(port, "/predict"), "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(string(body), tc.field) {
			t.Errorf("POST %s: status %d %s, want a 4xx naming %s", tc.body, resp.StatusCode, body, tc.field)
		}
	}
}

// requireS3Key wants an object whose key ends in suffix under the bucket's
// mlflow/ prefix: MLflow wrote it to S3, not to its volume.
func requireS3Key(t *testing.T, port int, bucket, suffix string) {
	t.Helper()
	keys, err := S3Keys(context.Background(), port, bucket, "mlflow/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/"+suffix) {
			return
		}
	}
	t.Fatalf("no %s in s3://%s/mlflow/ (keys: %v)", suffix, bucket, keys)
}
