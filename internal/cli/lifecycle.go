package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/ui"
)

func newStopCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the AWS environment's instances (data kept; compute no longer billed)",
		Long: `Stop the environment's instances. Their volumes keep the stack's data (the
model registry, runs, metrics), the bucket and repositories stay, and EC2
bills no compute while they are stopped; ` + "`mlforge cost`" + ` says what still
accrues. ` + "`mlforge start`" + ` or ` + "`mlforge up`" + ` resumes. The idle stop does the same
from inside the host after aws.idleStop without activity.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(f)
			if err != nil {
				return err
			}
			states, err := deploy.Stop(cmd.Context(), t, ui.NewStatus(f.IO))
			if err != nil {
				return err
			}
			for _, s := range states {
				fmt.Fprintln(f.IO.Out, s)
			}
			fmt.Fprintln(f.IO.Out, "The data stays on the volumes; `mlforge start` or `mlforge up` resumes.")
			return nil
		},
	}
	tf.addEnv(cmd.Flags())
	return cmd
}

func newStartCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var timeout time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a stopped AWS environment and its stack (nothing is rebuilt)",
		Long: `Start the environment's host, wait for it in stages (running, SSH with the
pinned key, Docker), then start the stack from the host's own copy and wait
until every service is healthy. Nothing is built or shipped: ` + "`mlforge up`" + `
also starts a stopped environment, and deploys changes.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return startRun(cmd.Context(), f, &tf, timeout, asJSON) },
	}
	tf.addEnv(cmd.Flags())
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for each service to become healthy")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func startRun(ctx context.Context, f *Factory, tf *targetFlags, timeout time.Duration, asJSON bool) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	res, err := deploy.Start(ctx, t, deploy.UpOptions{Timeout: timeout}, ui.NewStatus(f.IO))
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(f.IO.Out, res)
	}
	printEndpoints(f, res.Endpoints, res.ModelVersion)
	fmt.Fprintf(f.IO.Out, "\nThe ports are on %s's loopback: `mlforge tunnel` forwards them to this machine.\n", res.Host)
	return nil
}
