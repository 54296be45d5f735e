package stacktest

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/testenv"
)

// TestClosedLoop runs the stack's self-care on local Docker, with the
// intervals shortened by settings (the monitor every 20 s through the
// template variable, a drift alert that keeps firing re-sent every 30 s):
// normal traffic -> the scheduled monitor reports no drift -> a drifted
// month lands and drifted traffic comes -> the monitor flags drift -> the
// alert fires -> Alertmanager -> the alert bridge -> Prefect's trigger ->
// the retrain flow: its challenger, trained on the month before, is worse
// on the new month and is rejected. A second drifted month lands -> the
// alert, re-sent, retrains again: trained on the first drifted month, the
// challenger wins on the second, is promoted, and the model server
// answers with it. One stack serves both cases.
func TestClosedLoop(t *testing.T) {
	requireStack(t)
	testenv.RequireImage(t, "prom/alertmanager:v0.28.1")
	start := time.Now()
	step := func(what string) { t.Logf("%-44s at %5.1fs", what, time.Since(start).Seconds()) }
	p := Scaffold(t, Options{
		Vars: map[string]string{"monitor_interval": "20s"},
		Env:  map[string]string{"MODEL_POLL_SECONDS": "2", "PREFECT_RUNNER_POLL_FREQUENCY": "2"},
	})
	p.SetRetrainRepeat(t, "10s", "30s")
	p.Build(t)
	step("images built")
	p.Up(t, LoopServices...)
	step("stack healthy (worker: deployments registered)")
	ctx := context.Background()
	prefect, serve := p.Ports.Prefect, p.Ports.Serve

	if out := p.Run(t, "train"); !strings.Contains(out, "version 1") || !strings.Contains(out, "is now @production") {
		t.Fatalf("train did not promote version 1:\n%s", tail(out, 10))
	}
	if err := WaitModelVersion(ctx, serve, "1", time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, p.Logs("serve"))
	}
	step("version 1 served")

	if out := p.Replay(t, "data/sample/green_tripdata_2024-02.parquet", 500); !strings.Contains(out, "replayed 500 rides") {
		t.Fatalf("replay: %s", tail(out, 5))
	}
	quiet := waitMonitor(t, p, time.Now().Add(time.Second)) // the server flushes its log every 0.5 s
	if !strings.HasPrefix(quiet.Message(), "no drift:") {
		t.Fatalf("the monitor over normal traffic says %q, want no drift", quiet.Message())
	}
	step("scheduled monitor: no drift")

	// One drifted month: the challenger trains on February, the month
	// before it, and is worse on it than the production model.
	p.DropMonths(t, "2024-03")
	p.Replay(t, "data/incoming/green_tripdata_2024-03.parquet", 500)
	flagged := waitMonitor(t, p, time.Now().Add(time.Second))
	if !strings.HasPrefix(flagged.Message(), "drift detected:") {
		t.Fatalf("the monitor over drifted traffic says %q, want drift detected", flagged.Message())
	}
	step("scheduled monitor: drift detected")
	requireDriftAlert(t, p)
	step("alert firing, routed to retrain and notify")

	rejected := waitRetrain(t, p, "rejected challenger version 2")
	if got := rejected.Parameters["trigger"]; got != "TaxiDurationDataDrift" {
		t.Errorf("the retrain run's trigger is %v, want the alert's name", got)
	}
	requireDecision(t, p, "2", "rejected", func(challenger, champion float64) bool { return challenger > champion })
	if pred, err := Predict(ctx, serve, CourseRide); err != nil || pred.ModelVersion != "1" {
		t.Fatalf("after a rejected challenger the server must still serve version 1: %+v, %v", pred, err)
	}
	step("retrain 1: worse challenger rejected")

	// A second drifted month: trained on the first, the challenger wins.
	p.DropMonths(t, "2024-03", "2024-04")
	promoted := waitRetrain(t, p, "promoted challenger version")
	version := regexp.MustCompile(`version (\d+)`).FindStringSubmatch(promoted.Message())[1]
	requireDecision(t, p, version, "promoted", func(challenger, champion float64) bool { return challenger < champion*0.98 })
	if err := WaitModelVersion(ctx, serve, version, time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, p.Logs("serve"))
	}
	step("retrain 2: challenger promoted and served")

	requireOneRetrainAtATime(t, p)
	if logs := p.Logs("alert-bridge"); !strings.Contains(logs, "FIRING TaxiDurationDataDrift") {
		t.Errorf("the notify receiver did not log the drift alert:\n%s", logs)
	}
	if err := WaitHTTP(ctx, Local(prefect, "/api/health"), http.StatusOK, 10*time.Second); err != nil {
		t.Error(err)
	}
	step("done")
}

// waitMonitor waits for a completed scheduled monitor run that started
// after since.
func waitMonitor(t *testing.T, p *Project, since time.Time) FlowRun {
	t.Helper()
	run, err := WaitFlowRun(context.Background(), p.Ports.Prefect, "monitor", func(r FlowRun) bool {
		return r.StateType == "COMPLETED" && r.StartTime != nil && r.StartTime.After(since)
	}, 4*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Logs("worker"))
	}
	return run
}

// waitRetrain waits for a completed retrain run whose message starts with want.
func waitRetrain(t *testing.T, p *Project, want string) FlowRun {
	t.Helper()
	run, err := WaitFlowRun(context.Background(), p.Ports.Prefect, "retrain", func(r FlowRun) bool {
		return r.StateType == "COMPLETED" && strings.HasPrefix(r.Message(), want)
	}, 5*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.Logs("worker", "alert-bridge", "alertmanager"))
	}
	return run
}

// requireDriftAlert wants Alertmanager to hold the firing drift alert,
// routed to both the retrain and the notify receivers.
func requireDriftAlert(t *testing.T, p *Project) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		alerts, err := Alerts(context.Background(), p.Ports.Alertmanager)
		for _, a := range alerts {
			if a.Labels["alertname"] == "TaxiDurationDataDrift" && a.Status.State == "active" {
				got := a.ReceiverNames()
				sort.Strings(got)
				if !slices.Equal(got, []string{"notify", "retrain"}) {
					t.Fatalf("the drift alert went to %v, want notify and retrain", got)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no active TaxiDurationDataDrift in alertmanager (alerts %+v, %v)\n%s", alerts, err, p.Logs("prometheus"))
		}
		time.Sleep(time.Second)
	}
}

// requireDecision wants MLflow to hold the decision on a challenger: the
// version's tag, and the run's decision and both RMSEs (related by ok).
func requireDecision(t *testing.T, p *Project, version, decision string, ok func(challenger, champion float64) bool) {
	t.Helper()
	ctx := context.Background()
	mv, err := ModelVersion(ctx, p.Ports.MLflow, "taxi-duration", version)
	if err != nil {
		t.Fatal(err)
	}
	if mv.Tags["decision"] != decision {
		t.Errorf("version %s is tagged decision=%q, want %q", version, mv.Tags["decision"], decision)
	}
	run, err := Run(ctx, p.Ports.MLflow, mv.RunID)
	if err != nil {
		t.Fatal(err)
	}
	challenger, champion := run.Metrics["challenger_rmse"], run.Metrics["champion_rmse"]
	if run.Tags["decision"] != decision || run.Tags["champion_version"] == "" || !ok(challenger, champion) {
		t.Errorf("run of version %s: decision %q, champion %q, RMSE challenger %.3f champion %.3f; want %s",
			version, run.Tags["decision"], run.Tags["champion_version"], challenger, champion, decision)
	}
	if run.Params["trigger"] != "TaxiDurationDataDrift" || run.Params["held_out_month"] == "" {
		t.Errorf("run of version %s: params %v, want the trigger and the held-out month", version, run.Params)
	}
}

// requireOneRetrainAtATime wants no two retrain runs to have overlapped,
// and every cancelled one cancelled by the deployment's concurrency limit.
func requireOneRetrainAtATime(t *testing.T, p *Project) {
	t.Helper()
	runs, err := FlowRuns(context.Background(), p.Ports.Prefect, "retrain")
	if err != nil {
		t.Fatal(err)
	}
	var ran []FlowRun
	cancelled := 0
	for _, r := range runs {
		switch {
		case r.StateType == "CANCELLED":
			cancelled++
			if r.Message() != "Deployment concurrency limit reached." {
				t.Errorf("retrain run %s cancelled: %q", r.Name, r.Message())
			}
		case r.StartTime != nil && r.EndTime != nil:
			ran = append(ran, r)
		}
	}
	sort.Slice(ran, func(i, j int) bool { return ran[i].StartTime.Before(*ran[j].StartTime) })
	for i := 1; i < len(ran); i++ {
		if ran[i].StartTime.Before(*ran[i-1].EndTime) {
			t.Errorf("retrain runs %s and %s overlapped:%s", ran[i-1].Name, ran[i].Name, Describe(runs))
		}
	}
	t.Logf("retrain runs: %d ran one after another, %d cancelled while one ran", len(ran), cancelled)
}
