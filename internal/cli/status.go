package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

func newStatusCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show services, health, ports, the served model and drift; exit 1 when unhealthy",
		Long: `Show every service of the stack with its state (a service without a container
is "not running"), its ports, the served model version and the last drift
measured. Exits with status 1 unless every service is healthy: running, and
healthy by its own health check where it has one. Services that mlforge up
was told to skip are listed apart and do not count.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return statusRun(cmd.Context(), f, &tf, asJSON) },
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func statusRun(ctx context.Context, f *Factory, tf *targetFlags, asJSON bool) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	if t.IsSwarm() {
		return swarmStatus(ctx, f, t, asJSON)
	}
	host := awsHost(ctx, f, t)
	if host != nil && host.State != "running" {
		// Nothing to connect to: say what the host is and what it costs.
		if asJSON {
			err = writeJSON(f.IO.Out, statusResult{Report: &stack.Report{Project: t.Config.Project, Services: []stack.ServiceState{}, Drift: []stack.Drift{}}, Host: host})
		} else {
			printHost(f, host, time.Now())
		}
		if err != nil {
			return err
		}
		return &errs.SilentError{Code: 1}
	}
	p, err := t.Project(ctx)
	if err != nil {
		return err
	}
	res, err := stack.Inspect(ctx, p)
	if err != nil {
		return errs.WithHint(err, "is Docker running? `mlforge doctor` checks")
	}
	if host != nil {
		host = awsHost(ctx, f, t) // connected now: with the idle stop's view
	}
	if asJSON {
		if err := writeJSON(f.IO.Out, statusResult{Report: res, Host: host}); err != nil {
			return err
		}
	} else {
		printStatus(f, res)
		printHost(f, host, time.Now())
	}
	if !res.Healthy {
		return &errs.SilentError{Code: 1}
	}
	return nil
}

// statusResult is status --json: the stack, and on target aws its host.
type statusResult struct {
	*stack.Report
	Host *deploy.HostState `json:"host,omitempty"`
}

func printStatus(f *Factory, res *stack.Report) {
	running := 0
	for _, s := range res.Services {
		if s.State != "not running" {
			running++
		}
	}
	if running == 0 {
		fmt.Fprintf(f.IO.Out, "%s is not running (start it with `mlforge up`)\n", res.Project)
		return
	}
	rows := [][]string{{"SERVICE", "STATE", "PORTS"}}
	for _, s := range res.Services {
		var ports []string
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("127.0.0.1:%d", p))
		}
		rows = append(rows, []string{s.Service, s.State, strings.Join(ports, ", ")})
	}
	ui.Table(f.IO.Out, rows)
	if len(res.Skipped) > 0 {
		fmt.Fprintf(f.IO.Out, "\nSkipped by mlforge up: %s\n", strings.Join(res.Skipped, ", "))
	}
	if res.ModelVersion != "" {
		fmt.Fprintf(f.IO.Out, "\nModel version: %s\n", res.ModelVersion)
	}
	if len(res.Drift) > 0 {
		var parts []string
		for _, d := range res.Drift {
			parts = append(parts, fmt.Sprintf("%s=%.3g", d.Metric, d.Value))
		}
		fmt.Fprintf(f.IO.Out, "Drift: %s\n", strings.Join(parts, ", "))
	}
	printFlows(f, res)
	if !res.Healthy {
		fmt.Fprintln(f.IO.ErrOut, "some services are not healthy: `mlforge logs SERVICE` shows why")
	}
}
