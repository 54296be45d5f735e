package stack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakePrefect answers the parts of Prefect's REST API mlforge uses, in
// Prefect 3's shapes: two deployments (monitor every 30 s, retrain on
// demand), their runs, and runs it creates, which complete on the second
// look.
type fakePrefect struct {
	mu      sync.Mutex
	looks   int
	created []string
}

func (p *fakePrefect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/api/deployments/filter":
		io.WriteString(w, `[{"id":"d-mon","name":"monitor","flow_id":"f-mon","paused":false,"status":"READY",
			"schedules":[{"active":true,"schedule":{"interval":30.0,"anchor_date":"2026-12-01T00:00:00Z","timezone":"UTC"}}]},
			{"id":"d-ret","name":"retrain","flow_id":"f-ret","paused":false,"schedules":[]}]`)
	case strings.HasPrefix(r.URL.Path, "/api/flows/"):
		io.WriteString(w, `{"id":"x","name":"`+map[string]string{"/api/flows/f-mon": "monitor", "/api/flows/f-ret": "retrain"}[r.URL.Path]+`"}`)
	case r.URL.Path == "/api/flow_runs/filter":
		var q struct {
			Deployments struct {
				ID struct {
					Any []string `json:"any_"`
				} `json:"id"`
			} `json:"deployments"`
			FlowRuns struct {
				State struct {
					Type struct {
						Any []string `json:"any_"`
					} `json:"type"`
				} `json:"state"`
			} `json:"flow_runs"`
		}
		json.Unmarshal(body, &q)
		switch {
		case q.Deployments.ID.Any[0] == "d-mon" && q.FlowRuns.State.Type.Any[0] == "SCHEDULED":
			io.WriteString(w, `[{"id":"r-next","state_type":"SCHEDULED","expected_start_time":"2026-12-01T16:00:00Z","state":{"type":"SCHEDULED","message":null}}]`)
		case q.Deployments.ID.Any[0] == "d-ret" && q.FlowRuns.State.Type.Any[0] == "COMPLETED":
			io.WriteString(w, `[{"id":"r-1","state_type":"COMPLETED","start_time":"2026-12-01T14:00:00Z","end_time":"2026-12-01T14:02:00Z",
				"state":{"type":"COMPLETED","message":"promoted challenger version 3: RMSE 6.780 on 2024-04 vs 7.179 of champion version 2"}}]`)
		default:
			io.WriteString(w, `[]`)
		}
	case strings.HasSuffix(r.URL.Path, "/create_flow_run"):
		id := "new-" + strconv.Itoa(len(p.created))
		p.created = append(p.created, strings.Split(r.URL.Path, "/")[3])
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"`+id+`","state_type":"SCHEDULED"}`)
	case strings.HasPrefix(r.URL.Path, "/api/flow_runs/new-"):
		p.looks++
		if p.looks < 2 {
			io.WriteString(w, `{"id":"new-0","state_type":"RUNNING","state":{"message":null}}`)
			return
		}
		io.WriteString(w, `{"id":"new-0","state_type":"COMPLETED","end_time":"2026-12-01T15:00:00Z","state":{"message":"no drift"}}`)
	default:
		http.NotFound(w, r)
	}
}

func fakePrefectPort(t *testing.T) (*fakePrefect, int) {
	p := &fakePrefect{}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	port, _ := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	return p, port
}

func TestFlows(t *testing.T) {
	_, port := fakePrefectPort(t)
	flows, err := Flows(context.Background(), LocalProber, port)
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 2 || flows[0].Name != "monitor/monitor" || flows[0].Every != "30s" || flows[0].Next == nil || flows[0].Last != nil {
		t.Errorf("monitor: %+v", flows[0])
	}
	r := flows[1]
	if r.Name != "retrain/retrain" || r.Every != "" || r.Last == nil || r.Last.State != "COMPLETED" || !strings.HasPrefix(r.Last.Message, "promoted challenger version 3") {
		t.Errorf("retrain: %+v %+v", r, r.Last)
	}
}

func TestRunFlow(t *testing.T) {
	p, port := fakePrefectPort(t)
	var states []string
	r, err := RunFlow(context.Background(), LocalProber, port, "monitor", func(s string) { states = append(states, s) })
	if err != nil {
		t.Fatal(err)
	}
	if r.State != "COMPLETED" || r.Message != "no drift" || strings.Join(states, ",") != "RUNNING,COMPLETED" || strings.Join(p.created, ",") != "d-mon" {
		t.Errorf("run %+v, states %v, created for %v", r, states, p.created)
	}
	if _, err := RunFlow(context.Background(), LocalProber, port, "nope", func(string) {}); err == nil || !strings.Contains(err.Error(), `no flow "nope"`) || !strings.Contains(err.Error(), "monitor/monitor") {
		t.Errorf("an unknown flow: %v", err)
	}
}
