package stack

import (
	"context"
	"fmt"
)

// Report is the stack as `mlforge status` shows it.
type Report struct {
	Project      string         `json:"project"`
	Healthy      bool           `json:"healthy"`
	Services     []ServiceState `json:"services"`
	Endpoints    []Endpoint     `json:"endpoints"`
	ModelVersion string         `json:"modelVersion,omitempty"`
	Drift        []Drift        `json:"drift"`
	// Skipped are the services the last up deliberately did not start.
	Skipped []string `json:"skipped,omitempty"`
	// Flows are the orchestrator's, when the stack has one running.
	Flows []Flow `json:"flows,omitempty"`
	// FlowsError says why they could not be read.
	FlowsError string `json:"flowsError,omitempty"`
}

// Inspect reads the stack's state: every expected service (one that has
// no container is "not running"), the endpoints, the served model version
// and the last drift measured.
func Inspect(ctx context.Context, p *Project) (*Report, error) {
	model, err := LoadModel(ctx, p.Compose)
	if err != nil {
		return nil, err
	}
	list, err := PS(ctx, p.Compose)
	if err != nil {
		return nil, err
	}
	skip, err := LoadSkipped(ctx, p.State)
	if err != nil {
		return nil, err
	}
	for name := range skip {
		if _, ok := model.Services[name]; !ok {
			delete(skip, name)
		}
	}
	cfg := p.Config.Config
	r := &Report{Project: cfg.Project, Drift: []Drift{}, Skipped: sortedNames(skip)}
	r.Services = States(Expected(cfg, model, skip), list)
	r.Healthy = AllHealthy(r.Services)
	r.Endpoints = Endpoints(cfg, model, list, skip)
	running := map[string]bool{}
	for _, s := range r.Services {
		running[s.Service] = s.State != "not running"
	}
	if name, port, health := ModelService(cfg); running[name] {
		_, r.ModelVersion = ModelVersion(ctx, p.Prober, port, health)
	}
	r.Drift = LatestDrift(ctx, p.Prober, cfg, running)
	if name, port := OrchestratorService(cfg); running[name] && port != 0 {
		if r.Flows, err = Flows(ctx, p.Prober, port); err != nil {
			r.FlowsError = err.Error()
		}
	}
	return r, nil
}

// Summary is one line for people: what is unhealthy, or that all is well.
func (r *Report) Summary() string {
	var bad []string
	for _, s := range r.Services {
		if !s.Healthy {
			bad = append(bad, s.Service+" ("+s.State+")")
		}
	}
	switch {
	case len(r.Services) == 0:
		return r.Project + " has no services to run"
	case len(bad) > 0:
		return fmt.Sprintf("not healthy: %v", bad)
	}
	return "all services healthy"
}
