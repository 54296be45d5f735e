package stack

import (
	"fmt"
	"sort"

	"github.com/mlforge/mlforge/internal/config"
)

// Endpoint is a service as the user reaches it.
type Endpoint struct {
	Service string `json:"service"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	State   string `json:"state"`
	Healthy bool   `json:"healthy"`
}

// Endpoints lists the configured services with a port, with their state
// from the containers (skip: services deliberately not started).
func Endpoints(cfg *config.Config, model *Model, list []Container, skip map[string]bool) []Endpoint {
	byService := indexByService(list)
	var out []Endpoint
	for name, svc := range cfg.Services {
		if svc.Port == 0 {
			continue
		}
		e := Endpoint{Service: name, Title: svc.Title, URL: fmt.Sprintf("http://127.0.0.1:%d", svc.Port)}
		if e.Title == "" {
			e.Title = name
		}
		c, ok := byService[name]
		switch {
		case skip[name]:
			e.State = "skipped"
		case !ok:
			e.State = "not running"
		default:
			ms, _ := model.Services[name]
			e.State = c.Describe()
			e.Healthy = c.Ready(ms.HasHealthCheck())
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// ModelService returns the name, port and health path of the service with
// role model ("" when there is none).
func ModelService(cfg *config.Config) (name string, port int, health string) {
	for _, n := range sortedNames(cfg.Services) {
		if s := cfg.Services[n]; s.Role == "model" {
			h := s.Health
			if h == "" {
				h = "/health"
			}
			return n, s.Port, h
		}
	}
	return "", 0, ""
}

// TrackingPort returns the published port of the service with role
// tracking (0 if none).
func TrackingPort(cfg *config.Config) int {
	for _, n := range sortedNames(cfg.Services) {
		if s := cfg.Services[n]; s.Role == "tracking" {
			return s.Port
		}
	}
	return 0
}

// OrchestratorService returns the name and port of the service with role
// orchestrator ("" when there is none).
func OrchestratorService(cfg *config.Config) (name string, port int) {
	for _, n := range servicesWithRole(cfg, "orchestrator") {
		return n, cfg.Services[n].Port
	}
	return "", 0
}

// TrainJob returns the compose service of the job run on up ("" if none).
func TrainJob(cfg *config.Config) string {
	for _, n := range sortedNames(cfg.Jobs) {
		if cfg.Jobs[n].RunOnUp {
			return cfg.Jobs[n].Service
		}
	}
	return ""
}

// JobServices is the set of compose services that run mlforge.yaml's
// one-shot jobs: never part of the long-running stack, whatever their
// profiles.
func JobServices(cfg *config.Config) map[string]bool {
	out := map[string]bool{}
	for _, j := range cfg.Jobs {
		out[j.Service] = true
	}
	return out
}

// servicesWithRole lists the services of a role, sorted by name.
func servicesWithRole(cfg *config.Config, role string) []string {
	var out []string
	for _, n := range sortedNames(cfg.Services) {
		if cfg.Services[n].Role == role {
			out = append(out, n)
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
