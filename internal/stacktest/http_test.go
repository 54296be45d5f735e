package stacktest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serveOn starts handler on a loopback port and returns the port.
func serveOn(t *testing.T, h http.Handler) int {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	n, _ := strconv.Atoi(port)
	return n
}

func TestWaitHTTP(t *testing.T) {
	var calls atomic.Int32
	port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	if err := WaitHTTP(context.Background(), Local(port, "/health"), 200, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("polled %d times, want 3", calls.Load())
	}
	err := WaitHTTP(context.Background(), Local(port, "/health"), 418, 700*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "last status 200") {
		t.Errorf("timeout error = %v, want one naming the last answer", err)
	}
}

func TestPredict(t *testing.T) {
	port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 200)
		n, _ := r.Body.Read(body)
		switch {
		case strings.HasPrefix(string(body[:n]), "["):
			w.Write([]byte(`[{"duration": 1.5, "model_version": "3"}, {"duration": 2, "model_version": "3"}]`))
		case strings.Contains(string(body[:n]), `"PULocationID":10`):
			w.Write([]byte(`{"duration": 12.5, "model_version": "3"}`))
		default:
			http.Error(w, `{"error": "PULocationID: required"}`, http.StatusUnprocessableEntity)
		}
	}))
	ctx := context.Background()
	p, err := Predict(ctx, port, CourseRide)
	if err != nil || p != (Prediction{Duration: 12.5, ModelVersion: "3"}) {
		t.Fatalf("Predict = %+v, %v", p, err)
	}
	ps, err := PredictBatch(ctx, port, []Ride{CourseRide, CourseRide})
	if err != nil || len(ps) != 2 || ps[1].Duration != 2 {
		t.Fatalf("PredictBatch = %+v, %v", ps, err)
	}
	if _, err := Predict(ctx, port, Ride{}); err == nil || !strings.Contains(err.Error(), "status 422") {
		t.Fatalf("bad ride: err = %v, want the status and the server's message", err)
	}
}

func TestQueryPrometheus(t *testing.T) {
	for _, tc := range []struct {
		name, body, wantErr string
		want                []Sample
	}{
		{
			name: "vector",
			body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"taxi_drift_share"},"value":[1,"0.25"]}]}}`,
			want: []Sample{{Labels: map[string]string{"__name__": "taxi_drift_share"}, Value: 0.25}},
		},
		{name: "empty", body: `{"status":"success","data":{"result":[]}}`, want: []Sample{}},
		{name: "error", body: `{"status":"error","error":"parse error"}`, wantErr: "parse error"},
		{name: "not json", body: `<html>`, wantErr: "querying prometheus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/query" || r.URL.Query().Get("query") != "taxi_drift_share" {
					http.NotFound(w, r)
					return
				}
				w.Write([]byte(tc.body))
			}))
			got, err := QueryPrometheus(context.Background(), port, "taxi_drift_share")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			for i := range got {
				if got[i].Value != tc.want[i].Value || got[i].Labels["__name__"] != tc.want[i].Labels["__name__"] {
					t.Errorf("sample %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
