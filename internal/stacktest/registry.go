package stacktest

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// SetAlias points a registered model's alias at version through the MLflow
// REST API on port (what a promotion does).
func SetAlias(ctx context.Context, port int, model, alias, version string) error {
	body := map[string]string{"name": model, "alias": alias, "version": version}
	var out map[string]any
	if err := postJSON(ctx, Local(port, "/api/2.0/mlflow/registered-models/alias"), body, &out); err != nil {
		return fmt.Errorf("setting %s@%s to version %s: %w", model, alias, version, err)
	}
	return nil
}

// WaitModelVersion predicts the course's ride until the server answers
// with version, or timeout passes.
func WaitModelVersion(ctx context.Context, port int, version string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		p, err := Predict(ctx, port, CourseRide)
		if err == nil && p.ModelVersion == version {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = "version " + p.ModelVersion
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("waiting %s for the server to serve model version %s: last %s", timeout, version, last)
}

// ModelVersionInfo is a registered model version as MLflow's REST API
// returns it.
type ModelVersionInfo struct {
	Version string            `json:"version"`
	RunID   string            `json:"run_id"`
	Tags    map[string]string `json:"-"`
}

// RunInfo is the metrics, params and tags of an MLflow run.
type RunInfo struct {
	Metrics map[string]float64
	Params  map[string]string
	Tags    map[string]string
}

type keyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func keyValues(list []keyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range list {
		out[kv.Key] = fmt.Sprint(kv.Value)
	}
	return out
}

// ModelVersion reads a registered model version from MLflow on port.
func ModelVersion(ctx context.Context, port int, model, version string) (ModelVersionInfo, error) {
	var r struct {
		ModelVersion struct {
			Version string     `json:"version"`
			RunID   string     `json:"run_id"`
			Tags    []keyValue `json:"tags"`
		} `json:"model_version"`
	}
	u := Local(port, "/api/2.0/mlflow/model-versions/get?name="+url.QueryEscape(model)+"&version="+url.QueryEscape(version))
	if err := getJSON(ctx, u, &r); err != nil {
		return ModelVersionInfo{}, fmt.Errorf("reading %s version %s: %w", model, version, err)
	}
	mv := r.ModelVersion
	return ModelVersionInfo{Version: mv.Version, RunID: mv.RunID, Tags: keyValues(mv.Tags)}, nil
}

// Run reads an MLflow run's metrics, params and tags from MLflow on port.
func Run(ctx context.Context, port int, runID string) (RunInfo, error) {
	var r struct {
		Run struct {
			Data struct {
				Metrics []struct {
					Key   string  `json:"key"`
					Value float64 `json:"value"`
				} `json:"metrics"`
				Params []keyValue `json:"params"`
				Tags   []keyValue `json:"tags"`
			} `json:"data"`
		} `json:"run"`
	}
	if err := getJSON(ctx, Local(port, "/api/2.0/mlflow/runs/get?run_id="+url.QueryEscape(runID)), &r); err != nil {
		return RunInfo{}, fmt.Errorf("reading run %s: %w", runID, err)
	}
	d := r.Run.Data
	info := RunInfo{Metrics: map[string]float64{}, Params: keyValues(d.Params), Tags: keyValues(d.Tags)}
	for _, m := range d.Metrics {
		info.Metrics[m.Key] = m.Value
	}
	return info, nil
}
