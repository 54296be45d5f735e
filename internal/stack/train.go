package stack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// EnsureModel runs the training job when the model service has no model
// yet, then waits until the model service reports ready.
type EnsureModel struct {
	Compose    Compose
	Prober     Prober
	Service    string // model service
	Port       int    // its published port
	HealthPath string // readiness path, 200 once a model is loaded
	Job        string // compose service of the training job
	// Registered is NAME@ALIAS of the model the service serves, and
	// TrackingPort the registry's port: with both, training runs only when
	// the alias does not exist (a restarted server is waited for instead).
	Registered   string
	TrackingPort int
	Timeout      time.Duration
	Poll         time.Duration

	Trained bool
	Version string
	// registered is set by Skip when the registry already has the model.
	registered bool
}

func (e *EnsureModel) String() string { return "serve a model" }

// Skip implements pipeline.Skipper.
func (e *EnsureModel) Skip(ctx context.Context) (string, bool) {
	if e.Service == "" || e.Port == 0 || e.Job == "" {
		return "no model service or training job in mlforge.yaml", true
	}
	if ready, v := ModelVersion(ctx, e.Prober, e.Port, e.HealthPath); ready {
		return e.serves(v)
	}
	if name, alias, ok := strings.Cut(e.Registered, "@"); ok && e.TrackingPort != 0 {
		// The registry knows whether a model exists.
		if exists, err := AliasExists(ctx, e.Prober, e.TrackingPort, name, alias); err == nil && exists {
			e.registered = true
		}
		return "", false
	}
	// Without a registry only the server can tell: let it start first.
	if ready, v := e.firstAnswer(ctx); ready {
		return e.serves(v)
	}
	return "", false
}

func (e *EnsureModel) serves(version string) (string, bool) {
	e.Version = version
	return fmt.Sprintf("%s already serves model version %s", e.Service, version), true
}

// Run implements pipeline.Step.
func (e *EnsureModel) Run(ctx context.Context, r pipeline.Reporter) error {
	if e.registered {
		r.Update(fmt.Sprintf("%s exists: waiting for %s to load it", e.Registered, e.Service))
	} else {
		if err := RunJob(ctx, e.Compose, e.Job, r); err != nil {
			return err
		}
		e.Trained = true
	}
	timeout, poll := e.Timeout, e.Poll
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	if poll == 0 {
		poll = time.Second
	}
	deadline := time.Now().Add(timeout)
	r.Update(fmt.Sprintf("waiting for %s to load the model", e.Service))
	for {
		if ready, v := ModelVersion(ctx, e.Prober, e.Port, e.HealthPath); ready {
			e.Version = v
			return nil
		}
		if time.Now().After(deadline) {
			return errs.WithHint(fmt.Errorf("%s did not load a model within %s", e.Service, ui.FormatDuration(timeout)),
				fmt.Sprintf("check `mlforge logs %s` and `mlforge logs %s`", e.Service, e.Job))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// answerWait bounds how long Skip waits for a model service just started
// to answer at all before deciding whether it needs a model.
const answerWait = 30 * time.Second

// firstAnswer waits (bounded) until the model service answers its health
// path with any status: a server still starting cannot say whether it has
// a model, and deciding then would train again a model it already has.
func (e *EnsureModel) firstAnswer(ctx context.Context) (ready bool, version string) {
	poll := e.Poll
	if poll == 0 {
		poll = 500 * time.Millisecond
	}
	deadline := time.Now().Add(answerWait)
	for {
		status, body, err := e.Prober.Get(ctx, e.Port, e.HealthPath)
		if err == nil {
			return status == http.StatusOK, versionOf(body)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false, ""
		}
		select {
		case <-ctx.Done():
			return false, ""
		case <-time.After(poll):
		}
	}
}

// AliasExists asks the MLflow registry on port whether model name has the
// alias.
func AliasExists(ctx context.Context, p Prober, port int, name, alias string) (bool, error) {
	q := url.Values{"name": {name}, "alias": {alias}}
	status, _, err := p.Get(ctx, port, "/api/2.0/mlflow/registered-models/alias?"+q.Encode())
	switch {
	case err != nil:
		return false, err
	case status == http.StatusOK:
		return true, nil
	case status == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("registry answered HTTP %d", status)
}

// RunJob runs a one-shot compose service to completion, showing its last
// output line as progress and its tail on failure.
func RunJob(ctx context.Context, c Compose, job string, r pipeline.Reporter) error {
	out := &syncBuffer{}
	lw := &lastLine{update: func(l string) { r.Update(job + ": " + l) }}
	err := c.Run(ctx, RunArgs(job), multi(out, lw), multi(out, lw))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.Println(ui.Indent(tail(out.String(), 30), "   | "))
		return errs.WithHint(fmt.Errorf("job %s failed: %w", job, err), fmt.Sprintf("its output is above; rerun it with `mlforge run %s`", job))
	}
	return nil
}
