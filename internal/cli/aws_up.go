package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/provision"
)

// AWSUpOptions are the inputs of the aws part of `mlforge up`.
type AWSUpOptions struct {
	Yes  bool // apply without asking
	JSON bool // machine output: no prompt, progress still on stderr
	// ProjectDir holds mlforge.yaml and the compose file.
	ProjectDir string
}

// awsDeps are the outside services the aws commands use; tests replace them.
var awsDeps = struct {
	Getenv   func(string) string
	IPSource awsapi.IPSource
	// NewAWS connects to the AWS APIs of a region.
	NewAWS func(ctx context.Context, region string) (*awsapi.Client, error)
	// Program, when set, replaces the environment's Pulumi program.
	Program func(*provision.AWSSetup) pulumi.RunFunc
}{
	Getenv:   os.Getenv,
	IPSource: awsapi.HTTPIPSource{},
	NewAWS: func(ctx context.Context, region string) (*awsapi.Client, error) {
		return awsapi.New(ctx, awsapi.Options{Region: region})
	},
}

// awsEnv is one environment's prepared program and its engine.
type awsEnv struct {
	home   string
	setup  *provision.AWSSetup
	engine *provision.Infra
}

// openAWS prepares the environment (keys, cloud-init, allow-list) and opens
// its stack. With deleteData the program lets destroy remove the data.
func openAWS(ctx context.Context, f *Factory, dir string, cfg *config.Resolved, deleteData bool) (*awsEnv, error) {
	if cfg.Target != "aws" {
		return nil, errs.WithHint(errs.Usage(fmt.Errorf("this command manages target aws infrastructure; the environment %q has target %q", cfg.Env, cfg.Target)),
			"pass --target aws, or set target: aws in mlforge.yaml (or in environments."+cfg.Env+")")
	}
	home, err := provision.Home(awsDeps.Getenv)
	if err != nil {
		return nil, err
	}
	setup, err := provision.PrepareAWS(ctx, provision.AWSInputs{
		Cfg: cfg, ProjectDir: dir, KeyDir: provision.EnvDir(home, cfg.Project, cfg.Env), DeleteData: deleteData,
		CallerCIDR: func(ctx context.Context) (string, error) { return awsapi.CallerCIDR(ctx, awsDeps.IPSource) },
	})
	if err != nil {
		return nil, err
	}
	o := setup.EngineOptions(home, cfg)
	if awsDeps.Program != nil {
		o.Program = awsDeps.Program(setup)
	}
	o.Getenv = awsDeps.Getenv
	userHome, _ := os.UserHomeDir()
	o.Pulumi = provision.PulumiCLI{Home: home, UserHome: userHome}
	eng, err := provision.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return &awsEnv{home: home, setup: setup, engine: eng}, nil
}

// confirm asks on a terminal; without one it requires --yes.
func confirm(f *Factory, yes bool, question, flagHint string) error {
	if yes {
		return nil
	}
	ok, err := ui.NewPrompter(f.IO).Confirm(question)
	if errors.Is(err, ui.ErrNoPrompt) {
		return errs.WithHint(errs.Usage(errors.New("confirmation needed and stdin is not a terminal")), flagHint)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("cancelled: nothing was changed")
	}
	return nil
}

// printPlan lists planned changes on stderr, one resource a line.
func printPlan(f *Factory, plan *provision.Plan) {
	marks := map[string]string{"create": "+", "delete": "-", "update": "~", "replace": "+-", "create-replacement": "+-", "delete-replaced": "-+"}
	for _, c := range plan.Changes {
		m := marks[c.Op]
		if m == "" {
			m = " "
		}
		fmt.Fprintf(f.IO.ErrOut, " %-2s %-8s %s %s\n", m, c.Op, provision.ShortType(c.Type), c.Name)
	}
}

// awsUp provisions (or updates) the environment's infrastructure and waits
// for its host; the caller deploys the stack afterwards, as the returned
// deployment (read from the same outputs) says.
func awsUp(ctx context.Context, f *Factory, cfg *config.Resolved, opts AWSUpOptions) (*provision.Instance, *deployment, error) {
	env, err := openAWS(ctx, f, opts.ProjectDir, cfg, false)
	if err != nil {
		return nil, nil, err
	}
	plan, err := env.engine.Preview(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	if plan.HasChanges() {
		printPlan(f, plan)
		if err := confirm(f, opts.Yes, fmt.Sprintf("Apply %d changes to AWS (%s, %s)?", len(plan.Changes), env.engine.Name(), env.setup.Region),
			"review the plan with `mlforge preview`, then pass --yes"); err != nil {
			return nil, nil, err
		}
	}
	progress := provision.NewProgressList(f.IO.ErrOut, f.IO.ColorEnabled())
	out, err := env.engine.Up(ctx, progress)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(f.IO.ErrOut, " infrastructure: %s\n", progress.Summary())
	host, err := env.setup.HostFromOutputs(out)
	if err != nil {
		return nil, nil, err
	}
	d, err := deploymentFromOutputs(out, env.setup.Region, cfg)
	if err != nil {
		return nil, nil, err
	}
	client, err := awsDeps.NewAWS(ctx, env.setup.Region)
	if err != nil {
		return nil, nil, err
	}
	wait := &provision.HostWait{Instance: host, Instances: client, Timeouts: provision.DefaultTimeouts,
		KeyDir: provision.EnvDir(env.home, cfg.Project, cfg.Env)}
	if err := pipeline.Run(ctx, ui.NewStatus(f.IO), wait.Steps()); err != nil {
		return nil, nil, errs.WithHint(err, fmt.Sprintf("the infrastructure is up; run `mlforge up --env %s` again to retry the wait, or `mlforge ssh --env %s` to look", cfg.Env, cfg.Env))
	}
	return host, d, nil
}
