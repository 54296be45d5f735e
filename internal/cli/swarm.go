package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/swarm"
	"github.com/mlforge/mlforge/internal/ui"
)

// The commands on a swarm (target swarm, or aws with workers): the hooks
// status, logs, run and down call.

// swarmStatus prints the nodes and the services' replicas per node;
// exit 1 when a service or a node is not healthy.
func swarmStatus(ctx context.Context, f *Factory, t *deploy.Target, asJSON bool) error {
	res, err := deploy.SwarmStatus(ctx, t)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		printSwarmStatus(f, res)
	}
	if !res.Healthy {
		return &errs.SilentError{Code: 1}
	}
	return nil
}

func printSwarmStatus(f *Factory, res *swarm.Report) {
	nodes := [][]string{{"NODE", "HOSTNAME", "ROLE", "STATE", "AVAILABILITY", "LABELS"}}
	for _, n := range res.Nodes {
		role := n.Role
		if n.Leader {
			role += " (leader)"
		}
		nodes = append(nodes, []string{n.Host, n.Hostname, role, n.State, n.Availability, strings.Join(n.Roles, ", ")})
	}
	ui.Table(f.IO.Out, nodes)
	fmt.Fprintln(f.IO.Out)
	if len(res.Services) == 0 {
		fmt.Fprintf(f.IO.Out, "%s is not deployed on the swarm (start it with `mlforge up`)\n", res.Project)
		return
	}
	rows := [][]string{{"SERVICE", "REPLICAS", "STATE", "NODES"}}
	for _, s := range res.Services {
		state := "healthy"
		if !s.Healthy {
			state = "not healthy"
			if s.Failed != "" {
				state += ": " + s.Failed
			}
		}
		rows = append(rows, []string{s.Service, fmt.Sprintf("%d/%d", s.Running, s.Desired), state, s.Placement()})
	}
	ui.Table(f.IO.Out, rows)
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
	if !res.Healthy {
		fmt.Fprintln(f.IO.ErrOut, res.Summary()+": `mlforge logs SERVICE` shows why")
	}
}

// swarmLogs follows services across the nodes.
func swarmLogs(ctx context.Context, f *Factory, t *deploy.Target, services []string, follow bool, since string, lines int) error {
	return deploy.SwarmLogs(ctx, t, services, swarm.LogOptions{Follow: follow, Since: since, Tail: lines}, f.IO.Out, f.IO.ErrOut)
}

// swarmRunJob runs a job as a replicated job; the exit code is the job's.
func swarmRunJob(ctx context.Context, f *Factory, t *deploy.Target, job string) error {
	code, err := deploy.SwarmRun(ctx, t, job, f.IO.Out, f.IO.ErrOut)
	if err != nil {
		return err
	}
	if code != 0 {
		fmt.Fprintf(f.IO.ErrOut, "job %s exited with code %d\n", job, code)
		return &errs.SilentError{Code: code}
	}
	return nil
}

// swarmDown removes the stack (and with leave, the swarm). --leave on a
// target without a swarm is a usage error.
func swarmDown(ctx context.Context, f *Factory, t *deploy.Target, volumes, leave bool) error {
	if !t.IsSwarm() {
		return errs.WithHint(errs.Usage(errors.New("--leave dissolves a swarm; this target has none")),
			"use it with target swarm (or target aws with workers)")
	}
	return deploy.SwarmDown(ctx, t, volumes, leave, ui.NewStatus(f.IO))
}
