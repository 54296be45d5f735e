package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/cost"
	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

// UpOptions are the inputs of `mlforge up`.
type UpOptions struct {
	targetFlags
	BuildOnHost bool
	Skip        []string
	Timeout     time.Duration
	JSON        bool
	Yes         bool
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

On target ssh the host gets Docker first when it lacks it, and the images and
the project are copied there; on target aws the infrastructure is provisioned
first (the plan is shown and confirmed).

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
	t, err := opts.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	st := ui.NewStatus(f.IO)
	plan, err := deploy.Plan(ctx, t, st)
	if err != nil {
		return err
	}
	if plan.HasChanges() {
		printPlan(f, plan)
		if price, err := deploy.Estimate(ctx, t, false); err == nil {
			fmt.Fprintln(f.IO.ErrOut)
			cost.RenderTable(f.IO.ErrOut, price.Estimate)
		}
		question := fmt.Sprintf("Apply %d changes to AWS (%s/%s, %s)?", len(plan.Changes), t.Config.Project, t.Config.Env, t.Config.AWS.Region)
		if err := confirm(f, opts.Yes, question, "review the plan with `mlforge preview`, then pass --yes"); err != nil {
			return err
		}
	}
	res, err := deploy.Up(ctx, t, deploy.UpOptions{Skip: opts.Skip, Timeout: opts.Timeout, BuildOnHost: opts.BuildOnHost}, st)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	printEndpoints(f, res.Endpoints, res.ModelVersion)
	if res.Host != "" {
		fmt.Fprintf(f.IO.Out, "\nThe ports are on %s's loopback: `mlforge tunnel` forwards them to this machine.\n", res.Host)
	}
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
