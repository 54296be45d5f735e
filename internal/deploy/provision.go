package deploy

import (
	"context"
	"fmt"

	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/provision"
)

// Plan previews what provisioning the target's infrastructure would change
// (nil for targets without infrastructure), as one step on st, so the
// caller can show it and ask before Up applies it.
func Plan(ctx context.Context, t *Target, st pipeline.Status) (*provision.Plan, error) {
	if t.Kind != AWS {
		return nil, nil
	}
	p := &planInfra{t: t}
	if err := pipeline.Run(ctx, st, []pipeline.Step{p}); err != nil {
		return nil, err
	}
	return p.plan, nil
}

// planInfra previews the environment's infrastructure.
type planInfra struct {
	t    *Target
	plan *provision.Plan
}

func (p *planInfra) String() string { return "plan the infrastructure" }

func (p *planInfra) Run(ctx context.Context, r pipeline.Reporter) error {
	infra, setup, err := p.t.Infra(ctx, false)
	if err != nil {
		return err
	}
	r.Update(infra.Name() + " in " + setup.Region)
	p.plan, err = infra.Preview(ctx, nil)
	return err
}

// provisionInfra creates or updates the environment's infrastructure and
// reads the host and the deployment from its outputs.
type provisionInfra struct{ *run }

func (p provisionInfra) String() string { return "provision the infrastructure" }

func (p provisionInfra) Run(ctx context.Context, r pipeline.Reporter) error {
	infra, setup, err := p.t.Infra(ctx, false)
	if err != nil {
		return err
	}
	progress := provision.NewProgressList(lineWriter(r.Println), false)
	out, err := infra.Up(ctx, progress)
	if err != nil {
		return err
	}
	// What changed in the account is kept in every log, however fast.
	r.Println("   " + progress.Summary())
	inst, err := provision.InstanceFromOutputs(out, setup.Keys)
	if err != nil {
		return err
	}
	p.instance, p.outputs = *inst, out
	p.deployment, err = deploymentFromOutputs(out, p.t.aws)
	if err != nil {
		return fmt.Errorf("%w (run `mlforge refresh --env %s`, then `mlforge up --env %s` again)", err, p.t.Config.Env, p.t.Config.Env)
	}
	return nil
}

// lineWriter hands each written line to println (a step's reporter), so
// output written by other code keeps the status display intact.
func lineWriter(println func(string)) *iostreams.LineWriter { return iostreams.NewLineWriter(println) }
