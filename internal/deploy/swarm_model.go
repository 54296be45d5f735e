package deploy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/swarm"
	"github.com/mlforge/mlforge/internal/ui"
)

// serveModelSwarm trains the first model when the registry has none (the
// training job as a replicated job on a training node), then waits until
// the model service answers ready through the proxy, on the tracking
// node's loopback.
type serveModelSwarm struct {
	*swarmRun
	registered bool
}

func (m *serveModelSwarm) String() string { return "serve a model" }

// Skip implements pipeline.Skipper: a model is already served, or there
// is nothing to train.
func (m *serveModelSwarm) Skip(ctx context.Context) (string, bool) {
	cfg := m.t.Config.Config
	svc, port, health := stack.ModelService(cfg)
	job, _ := runOnUpJob(cfg)
	if svc == "" || port == 0 || job == "" {
		return "no model service or training job in mlforge.yaml", true
	}
	p := m.manager().Project.Prober
	if ready, v := stack.ModelVersion(ctx, p, port, health); ready {
		m.res.ModelVersion = v
		return fmt.Sprintf("%s already serves model version %s", svc, v), true
	}
	if name, alias, ok := strings.Cut(cfg.Services[svc].Model, "@"); ok {
		if tp := stack.TrackingPort(cfg); tp != 0 {
			exists, err := stack.AliasExists(ctx, p, tp, name, alias)
			m.registered = err == nil && exists
		}
	}
	return "", false
}

func (m *serveModelSwarm) Run(ctx context.Context, r pipeline.Reporter) error {
	cfg := m.t.Config.Config
	svc, port, health := stack.ModelService(cfg)
	if m.registered {
		r.Update(fmt.Sprintf("%s exists: waiting for %s to load it", cfg.Services[svc].Model, svc))
	} else if err := m.train(ctx, r); err != nil {
		return err
	}
	timeout := orTimeout(m.opts.Timeout, 3*time.Minute)
	deadline := time.Now().Add(timeout)
	r.Update(fmt.Sprintf("waiting for %s to load the model", svc))
	for {
		if ready, v := stack.ModelVersion(ctx, m.manager().Project.Prober, port, health); ready {
			m.res.ModelVersion = v
			return nil
		}
		if time.Now().After(deadline) {
			job, _ := runOnUpJob(cfg)
			return errs.WithHint(fmt.Errorf("%s did not load a model within %s", svc, ui.FormatDuration(timeout)),
				fmt.Sprintf("check `mlforge logs %s` and `mlforge logs %s`", svc, job))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// train runs the training job on the swarm, its last line as progress
// and its tail shown when it fails.
func (m *serveModelSwarm) train(ctx context.Context, r pipeline.Reporter) error {
	job, service := runOnUpJob(m.t.Config.Config)
	var mu sync.Mutex
	var tail []string
	show := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if tail = append(tail, line); len(tail) > 30 {
			tail = tail[1:]
		}
		r.Update(job + ": " + line)
	}
	conn := m.manager()
	run := &swarm.JobRun{Shell: conn.Client, API: conn.Engine.Client(), Dir: conn.Dir, Stack: m.t.Config.ComposeProject(),
		Job: job, Service: service, Out: iostreams.NewLineWriter(show), ErrOut: iostreams.NewLineWriter(show), Progress: show}
	code, err := run.Run(ctx)
	if err == nil && code != 0 {
		err = fmt.Errorf("job %s exited with code %d", job, code)
	}
	if err != nil {
		mu.Lock()
		r.Println(ui.Indent(strings.Join(tail, "\n"), "   | "))
		mu.Unlock()
		return errs.WithHint(err, fmt.Sprintf("its output is above; rerun it with `mlforge run %s`", job))
	}
	m.res.Trained = true
	return nil
}

func orTimeout(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
