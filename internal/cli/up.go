package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

// UpOptions are the inputs of `mlforge up`.
type UpOptions struct {
	targetFlags
	// deploy, when set, is what the target adds to a plain SSH host (on
	// AWS: images shipped through ECR, artifacts on S3).
	deploy      *deployment
	BuildOnHost bool
	Skip        []string
	Timeout     time.Duration
	JSON        bool
	Yes         bool
}

type upResult struct {
	Project      string           `json:"project"`
	Target       string           `json:"target"`
	Env          string           `json:"env"`
	Endpoints    []stack.Endpoint `json:"endpoints"`
	ModelVersion string           `json:"modelVersion,omitempty"`
	Built        []string         `json:"built"`
	Reused       []string         `json:"reused"`
	Trained      bool             `json:"trained"`
	Seconds      float64          `json:"seconds"`
}

func newUpCmd(f *Factory) *cobra.Command {
	opts := &UpOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Build, start and health-check the stack; train the first model",
		Long: `Run the project's stack on its target (mlforge.yaml's target, local Docker by
default): check the engine, compose, disk and ports; build the images whose
content changed; start the services and wait until each is healthy; run the
training job when no model is served yet; print the endpoints.

Running it again with nothing changed rebuilds and restarts nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return upRun(cmd.Context(), f, opts) },
	}
	fl := cmd.Flags()
	opts.targetFlags.add(fl)
	fl.BoolVar(&opts.BuildOnHost, "build-on-host", false, "target ssh/aws: build the images on the host instead of here")
	fl.StringArrayVar(&opts.Skip, "skip", nil, "service not to start (repeatable), e.g. --skip grafana")
	fl.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "how long to wait for each service to become healthy")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func upRun(ctx context.Context, f *Factory, opts *UpOptions) error {
	start := time.Now()
	dir, cfg, err := opts.resolve(f)
	if err != nil {
		return err
	}
	switch cfg.Target {
	case "ssh":
		so, err := opts.sshOptions(cfg)
		if err != nil {
			return err
		}
		return upRemote(ctx, f, opts, dir, cfg, so, start)
	case "aws":
		host, deploy, err := awsUp(ctx, f, cfg, AWSUpOptions{Yes: opts.Yes, JSON: opts.JSON, ProjectDir: dir})
		if err != nil {
			return err
		}
		opts.deploy = deploy
		return upRemote(ctx, f, opts, dir, cfg, host.SSHOptions(), start)
	}
	engine, err := f.Engine()
	if err != nil {
		return err
	}
	p := stack.NewLocal(dir, cfg, engine)
	st := ui.NewStatus(f.IO)
	skipNames := map[string]bool{}
	for _, s := range opts.Skip {
		skipNames[s] = true
	}
	if err := pipeline.Run(ctx, st, []pipeline.Step{p.Preflight(skipNames)}); err != nil {
		return err
	}
	model, err := stack.LoadModel(ctx, p.Compose)
	if err != nil {
		return err
	}
	skip, err := stack.SkipSet(model, opts.Skip)
	if err != nil {
		return errs.Usage(err)
	}
	up := p.PlanUp(model, stack.UpOptions{Skip: skip, Timeout: opts.Timeout})
	if err := pipeline.Run(ctx, st, up.Steps()); err != nil {
		return err
	}
	list, err := stack.PS(ctx, p.Compose)
	if err != nil {
		return err
	}
	res := upResult{Project: cfg.Project, Target: cfg.Target, Env: cfg.Env,
		Endpoints: stack.Endpoints(cfg.Config, model, list, skip), ModelVersion: up.Model.Version,
		Built: nonNil(up.Build.Built), Reused: nonNil(up.Build.Reused), Trained: up.Model.Trained,
		Seconds: time.Since(start).Seconds()}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	printEndpoints(f, res.Endpoints, res.ModelVersion)
	return nil
}

func printEndpoints(f *Factory, eps []stack.Endpoint, version string) {
	rows := [][]string{{"SERVICE", "URL", "STATE"}}
	for _, e := range eps {
		rows = append(rows, []string{e.Title, e.URL, e.State})
	}
	fmt.Fprintln(f.IO.Out)
	ui.Table(f.IO.Out, rows)
	if version != "" {
		fmt.Fprintf(f.IO.Out, "\nServing model version %s\n", version)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
