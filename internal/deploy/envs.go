package deploy

import (
	"context"
	"errors"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/cost"
	"github.com/mlforge/mlforge/provision"
)

// EnvSummary is one environment of the project in the state backend.
type EnvSummary struct {
	Env          string  `json:"env"`
	Region       string  `json:"region"`
	InstanceID   string  `json:"instanceId,omitempty"`
	InstanceType string  `json:"instanceType,omitempty"`
	State        string  `json:"state"` // EC2's state; "none" when nothing is provisioned; "unknown" when it cannot be read
	PerHour      float64 `json:"perHour"`
	// StoppedPerMonth is what the environment costs a month while stopped
	// (volumes, addresses, bucket and repositories).
	StoppedPerMonth float64 `json:"stoppedPerMonth"`
	Complete        bool    `json:"complete"`
	Error           string  `json:"error,omitempty"`
}

// Environments lists every environment of the project in the state
// backend of t's environment, with its host's state and what it costs.
// Settings come from mlforge.yaml's environments (the top level for one it
// does not declare).
func Environments(ctx context.Context, t *Target, parent *config.Config) ([]EnvSummary, error) {
	if t.aws == nil {
		return nil, notAWS(t.Config)
	}
	names, err := provision.ListEnvironments(ctx, t.aws.options(nil))
	if err != nil {
		return nil, err
	}
	table, err := cost.Default()
	if err != nil {
		return nil, err
	}
	var out []EnvSummary
	for _, name := range names {
		out = append(out, summarize(ctx, t, parent, name, table))
	}
	return out, nil
}

// summarize reads one environment; a failure is kept in the summary.
func summarize(ctx context.Context, t *Target, parent *config.Config, name string, table *cost.Table) EnvSummary {
	s := EnvSummary{Env: name, State: "unknown"}
	cfg, err := parent.Resolve(name)
	if err != nil {
		cfg = &config.Resolved{Config: parent, Env: name}
	}
	cfg.Target = AWS
	s.Region = cfg.AWS.Region
	other, err := Open(t.deps, t.Dir, cfg, Options{})
	if err != nil {
		s.Error = err.Error()
		return s
	}
	in := CostInput(other)
	out, _, err := other.Outputs(ctx)
	if err == nil && len(out) == 0 {
		s.State = "none"
	}
	if ids := Instances(out); err == nil && len(ids) > 0 {
		s.InstanceID = ids[0]
		if api, aerr := other.aws.api(ctx); aerr == nil {
			info, derr := api.DescribeInstance(ctx, ids[0])
			err = derr
			if derr == nil {
				s.State, s.InstanceType, in.InstanceType = info.State, info.Type, info.Type
			}
		} else {
			err = aerr
		}
	}
	if err != nil && !errors.Is(err, provision.ErrNotCreated) {
		s.Error = firstLine(err.Error())
	}
	in.Stopped = s.State != "running" && s.State != "pending"
	if e, err := table.Estimate(in); err == nil {
		s.PerHour, s.Complete = e.PerHour, e.Complete
		in.Stopped = true
		if stopped, err := table.Estimate(in); err == nil {
			s.StoppedPerMonth, s.Complete = stopped.PerMonth, s.Complete && stopped.Complete
		}
	}
	return s
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
