package stacktest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlowRuns(t *testing.T) {
	var calls atomic.Int32
	port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var filter struct {
			Deployments struct {
				Name struct {
					Any []string `json:"any_"`
				} `json:"name"`
			} `json:"deployments"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/flow_runs/filter" || json.Unmarshal(body, &filter) != nil ||
			len(filter.Deployments.Name.Any) != 1 || filter.Deployments.Name.Any[0] != "retrain" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path+" "+string(body), http.StatusUnprocessableEntity)
			return
		}
		if calls.Add(1) < 3 {
			w.Write([]byte(`[{"name":"a","state_type":"RUNNING","state_name":"Running","state":null,"parameters":{},"created":"2026-01-02T03:04:05.123456Z"}]`))
			return
		}
		w.Write([]byte(`[{"name":"b","state_type":"COMPLETED","state_name":"Completed","state":{"message":"promoted challenger version 3: ..."},
			"parameters":{"trigger":"TaxiDurationDataDrift"},"created":"2026-01-02T03:04:06Z",
			"start_time":"2026-01-02T03:04:07.5Z","end_time":"2026-01-02T03:04:30Z"},
			{"name":"a","state_type":"CANCELLED","state_name":"Cancelled","state":{"message":"Deployment concurrency limit reached."},
			"parameters":{},"created":"2026-01-02T03:04:05Z","start_time":null,"end_time":null}]`))
	}))
	ctx := context.Background()
	run, err := WaitFlowRun(ctx, port, "retrain", func(r FlowRun) bool {
		return r.Final() && strings.HasPrefix(r.Message(), "promoted")
	}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if run.Name != "b" || run.Parameters["trigger"] != "TaxiDurationDataDrift" || run.EndTime.Sub(*run.StartTime) != 22500*time.Millisecond {
		t.Errorf("run = %+v", run)
	}
	_, err = WaitFlowRun(ctx, port, "retrain", func(r FlowRun) bool { return r.StateType == "FAILED" }, 1500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), `a Cancelled "Deployment concurrency limit reached."`) {
		t.Errorf("timeout error = %v, want one listing the runs seen", err)
	}
	if _, err := FlowRuns(ctx, port, "monitor"); err == nil || !strings.Contains(err.Error(), "status 422") {
		t.Errorf("FlowRuns(monitor) error = %v, want the server's answer", err)
	}
}

func TestAlerts(t *testing.T) {
	port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/alerts" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`[{"labels":{"alertname":"TaxiDurationDataDrift","action":"retrain"},
			"receivers":[{"name":"retrain"},{"name":"notify"}],"status":{"state":"active"}}]`))
	}))
	alerts, err := Alerts(context.Background(), port)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("Alerts = %+v, %v", alerts, err)
	}
	a := alerts[0]
	if a.Labels["action"] != "retrain" || a.Status.State != "active" || strings.Join(a.ReceiverNames(), ",") != "retrain,notify" {
		t.Errorf("alert = %+v", a)
	}
}

func TestModelVersionAndRun(t *testing.T) {
	port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/2.0/mlflow/model-versions/get" && r.URL.Query().Get("version") == "3":
			w.Write([]byte(`{"model_version":{"version":"3","run_id":"r1","tags":[{"key":"decision","value":"promoted"}]}}`))
		case r.URL.Path == "/api/2.0/mlflow/runs/get" && r.URL.Query().Get("run_id") == "r1":
			w.Write([]byte(`{"run":{"data":{"metrics":[{"key":"challenger_rmse","value":6.7}],
				"params":[{"key":"trigger","value":"manual"}],"tags":[{"key":"decision","value":"promoted"}]}}}`))
		default:
			http.Error(w, `{"error_code":"RESOURCE_DOES_NOT_EXIST"}`, http.StatusNotFound)
		}
	}))
	ctx := context.Background()
	mv, err := ModelVersion(ctx, port, "taxi-duration", "3")
	if err != nil || mv.RunID != "r1" || mv.Tags["decision"] != "promoted" {
		t.Fatalf("ModelVersion = %+v, %v", mv, err)
	}
	run, err := Run(ctx, port, "r1")
	if err != nil || run.Metrics["challenger_rmse"] != 6.7 || run.Params["trigger"] != "manual" || run.Tags["decision"] != "promoted" {
		t.Fatalf("Run = %+v, %v", run, err)
	}
	if _, err := ModelVersion(ctx, port, "taxi-duration", "9"); err == nil || !strings.Contains(err.Error(), "RESOURCE_DOES_NOT_EXIST") {
		t.Errorf("missing version: err = %v", err)
	}
}

func TestSetRetrainRepeat(t *testing.T) {
	p := Scaffold(t, Options{})
	p.SetRetrainRepeat(t, "10s", "30s")
	data, err := os.ReadFile(filepath.Join(p.Dir, "monitoring", "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "      receiver: retrain\n      group_wait: 5s\n      group_interval: 10s\n      repeat_interval: 30s\n"
	if !strings.Contains(string(data), want) {
		t.Errorf("the retrain route was not shortened:\n%s", data)
	}
	if !strings.Contains(string(data), "  group_interval: 1m\n  repeat_interval: 4h\n") {
		t.Errorf("the default route must keep its timings:\n%s", data)
	}
}
