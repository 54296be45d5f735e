package stacktest

import (
	"context"
	"fmt"
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
