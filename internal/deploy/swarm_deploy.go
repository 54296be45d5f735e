package deploy

import (
	"context"
	"sort"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/swarm"
)

// deployStack reads the compose model on the first manager (interpolated
// with the project's env file and the deployment's settings there),
// derives the swarm stack from it and deploys it.
type deployStack struct{ *swarmRun }

func (d deployStack) String() string { return "deploy the stack" }

func (d deployStack) Run(ctx context.Context, r pipeline.Reporter) error {
	m := d.manager()
	c, err := swarm.ReadCompose(ctx, m.Project.Compose)
	if err != nil {
		return err
	}
	derived, err := swarm.Derive(c, swarmSpec(d.t.Config.Config, d.skip, d.images, m.Dir))
	if err != nil {
		return errs.WithHint(err, "target swarm runs the compose file with `docker stack deploy`: change the file (or mlforge.yaml) as the message says")
	}
	d.derived = derived
	if err := stack.SaveSkipped(ctx, m.Project.State, d.skip); err != nil {
		return err
	}
	before, err := swarm.States(ctx, m.Engine.Client(), d.t.Config.ComposeProject(), derived.Expected())
	if err != nil {
		return err
	}
	d.marks = swarm.UpdateMarks(before)
	step := &swarm.Deploy{Shell: m.Client, Dir: m.Dir, Name: d.t.Config.ComposeProject(), Derived: derived,
		Encrypt: d.t.Config.Swarm.Encrypt}
	return step.Run(ctx, r)
}

// swarmSpec is what deriving the stack takes from mlforge.yaml and the
// run.
func swarmSpec(cfg *config.Config, skip map[string]bool, images map[string]string, dir string) swarm.Spec {
	model, _, health := stack.ModelService(cfg)
	spec := swarm.Spec{Stack: cfg.ComposeProject(), Model: model, ModelHealth: health, Skip: skip, Images: images,
		Encrypt: cfg.Swarm.Encrypt, SocketDir: swarm.SocketDir(dir)}
	if model != "" {
		spec.Replicas = cfg.Services[model].Replicas
	}
	names := make([]string, 0, len(cfg.Jobs))
	for n := range cfg.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		j := cfg.Jobs[n]
		spec.Jobs = append(spec.Jobs, swarm.Job{Name: n, Service: j.Service, CPUs: j.Reserve.CPUs, Memory: j.Reserve.Memory})
	}
	return spec
}

// startServices waits until the stack's services run: healthy, the model
// server only started (its health may wait for a first model).
type startServices struct{ *swarmRun }

func (s startServices) String() string { return "start services" }

func (s startServices) Run(ctx context.Context, r pipeline.Reporter) error {
	model, _, _ := stack.ModelService(s.t.Config.Config)
	w := &swarm.Wait{API: s.manager().Engine.Client(), Stack: s.t.Config.ComposeProject(), Services: s.derived.Expected(),
		Lenient: map[string]bool{model: true}, Timeout: s.opts.Timeout, Name: "start services", Marks: s.marks}
	return w.Run(ctx, r)
}

// swarmHealthy waits until every service is healthy by the definition
// status uses, and keeps what it saw for the endpoints table.
type swarmHealthy struct{ *swarmRun }

func (h swarmHealthy) String() string { return "check health" }

func (h swarmHealthy) Run(ctx context.Context, r pipeline.Reporter) error {
	w := &swarm.Wait{API: h.manager().Engine.Client(), Stack: h.t.Config.ComposeProject(), Services: h.derived.Expected(),
		Timeout: h.opts.Timeout, Marks: h.marks}
	err := w.Run(ctx, r)
	h.checked = &stack.Healthy{List: containersOf(w.States)}
	return err
}

// containersOf shows swarm services as the containers the endpoints
// table reads: running and healthy when the service is.
func containersOf(states []swarm.ServiceState) []stack.Container {
	var out []stack.Container
	for _, s := range states {
		c := stack.Container{Service: s.Service, State: s.State}
		if s.Healthy {
			c.State, c.Health = "running", "healthy"
		}
		out = append(out, c)
	}
	return out
}

// runOnUpJob is the job `up` trains with: its name and service.
func runOnUpJob(cfg *config.Config) (name, service string) {
	names := make([]string, 0, len(cfg.Jobs))
	for n := range cfg.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if cfg.Jobs[n].RunOnUp {
			return n, cfg.Jobs[n].Service
		}
	}
	return "", ""
}
