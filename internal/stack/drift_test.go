package stack

import (
	"context"
	"reflect"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
)

// bodyProber answers every path with one status and body.
type bodyProber struct {
	status int
	body   string
}

func (b bodyProber) Get(context.Context, int, string) (int, []byte, error) {
	return b.status, []byte(b.body), nil
}

func (b bodyProber) Post(ctx context.Context, port int, path string, _ []byte) (int, []byte, error) {
	return b.Get(ctx, port, path)
}

func TestPushedDrift(t *testing.T) {
	metrics := `# HELP taxi_drift_share Share of drifted columns (features and prediction).
# TYPE taxi_drift_share gauge
taxi_drift_share{instance="",job="taxi-duration-monitor"} 0.25
taxi_drifted_columns{instance="",job="taxi-duration-monitor"} 1
taxi_feature_drift_score{feature="trip_distance",instance="",job="taxi-duration-monitor"} 0.01
taxi_prediction_drift_score{instance="",job="taxi-duration-monitor"} 6.5e-02
taxi_monitor_rows{dataset="current",instance="",job="taxi-duration-monitor"} 501
push_time_seconds{instance="",job="taxi-duration-monitor"} 1.7e+09
taxi_drift_share{instance="",job="another-push"} 0.9
`
	got, err := PushedDrift(context.Background(), bodyProber{200, metrics}, 9091)
	if err != nil {
		t.Fatal(err)
	}
	want := []Drift{{"taxi_drift_share", 0.25}, {"taxi_drifted_columns", 1}, {"taxi_prediction_drift_score", 0.065}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := PushedDrift(context.Background(), bodyProber{503, ""}, 9091); err == nil {
		t.Error("a pushgateway that is not ready gave no error")
	}
}

// portProber answers by port: each service its own body.
type portProber map[int]string

func (p portProber) Get(_ context.Context, port int, _ string) (int, []byte, error) {
	body, ok := p[port]
	if !ok {
		return 0, nil, errNotReady
	}
	return 200, []byte(body), nil
}

func (p portProber) Post(ctx context.Context, port int, path string, _ []byte) (int, []byte, error) {
	return p.Get(ctx, port, path)
}

func TestLatestDriftFallsBackToThePush(t *testing.T) {
	cfg := &config.Config{Services: map[string]config.Service{
		"prometheus":  {Role: "metrics", Port: 9090},
		"pushgateway": {Role: "pushgateway", Port: 9091},
	}}
	running := map[string]bool{"prometheus": true, "pushgateway": true}
	scraped := `{"data":{"result":[{"metric":{"__name__":"taxi_drift_share"},"value":[1,"0.5"]}]}}`
	notYet := `{"data":{"result":[]}}`
	pushed := "taxi_drift_share{job=\"m\"} 0.25\n"
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		prober  portProber
		running map[string]bool
		want    []Drift
	}{
		{"prometheus has it", portProber{9090: scraped, 9091: pushed}, running, []Drift{{"taxi_drift_share", 0.5}}},
		{"not scraped yet", portProber{9090: notYet, 9091: pushed}, running, []Drift{{"taxi_drift_share", 0.25}}},
		{"prometheus down", portProber{9091: pushed}, running, []Drift{{"taxi_drift_share", 0.25}}},
		{"nothing runs", portProber{9090: scraped, 9091: pushed}, nil, []Drift{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LatestDrift(ctx, tc.prober, cfg, tc.running); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
