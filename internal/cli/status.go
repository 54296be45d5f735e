package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

type statusResult struct {
	Project      string           `json:"project"`
	Healthy      bool             `json:"healthy"`
	Services     []serviceStatus  `json:"services"`
	Endpoints    []stack.Endpoint `json:"endpoints"`
	ModelVersion string           `json:"modelVersion,omitempty"`
	Drift        []stack.Drift    `json:"drift"`
}

type serviceStatus struct {
	Service string `json:"service"`
	State   string `json:"state"`
	Healthy bool   `json:"healthy"`
	Ports   []int  `json:"ports"`
}

func newStatusCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show services, health, ports, the served model and drift; exit 1 when unhealthy",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, done, err := tf.openProject(ctx, f)
			if err != nil {
				return err
			}
			defer done()
			cfg := p.Config
			model, err := stack.LoadModel(ctx, p.Compose)
			if err != nil {
				return err
			}
			list, err := stack.PS(ctx, p.Compose)
			if err != nil {
				return errs.WithHint(err, "is Docker running? `mlforge doctor` checks")
			}
			res := statusResult{Project: cfg.Project, Healthy: true, Drift: []stack.Drift{}}
			running := map[string]bool{}
			jobs := stack.JobServices(cfg.Config)
			for _, c := range list {
				svc := model.Services[c.Service]
				if !svc.Active || jobs[c.Service] {
					continue // one-shot jobs
				}
				s := serviceStatus{Service: c.Service, State: c.Describe(), Healthy: c.Ready(svc.HasHealthCheck()), Ports: []int{}}
				for _, pub := range c.Publishers {
					if pub.PublishedPort != 0 {
						s.Ports = append(s.Ports, pub.PublishedPort)
					}
				}
				running[c.Service] = true
				res.Healthy = res.Healthy && s.Healthy
				res.Services = append(res.Services, s)
			}
			if len(res.Services) == 0 {
				res.Healthy = false
			}
			res.Endpoints = stack.Endpoints(cfg.Config, model, list, nil)
			if name, port, health := stack.ModelService(cfg.Config); running[name] {
				_, res.ModelVersion = stack.ModelVersion(ctx, p.Prober, port, health)
			}
			res.Drift = stack.LatestDrift(ctx, p.Prober, cfg.Config, running)
			if asJSON {
				if err := writeJSON(f.IO.Out, res); err != nil {
					return err
				}
			} else {
				printStatus(f, res)
			}
			if !res.Healthy {
				return &errs.SilentError{Code: 1}
			}
			return nil
		},
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printStatus(f *Factory, res statusResult) {
	if len(res.Services) == 0 {
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
		fmt.Fprintln(f.IO.ErrOut, "some services are not healthy: `mlforge logs SERVICE` shows why")
	}
}
