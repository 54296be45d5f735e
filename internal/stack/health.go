package stack

import (
	"maps"

	"github.com/mlforge/mlforge/internal/config"
)

// Expected lists the services a healthy stack runs: those a plain compose
// up starts, without mlforge.yaml's one-shot jobs (whatever their
// profiles) and the services deliberately not started (skip).
func Expected(cfg *config.Config, m *Model, skip map[string]bool) []Service {
	notLong := JobServices(cfg)
	maps.Copy(notLong, skip)
	return m.LongRunning(notLong)
}

// ServiceState is one expected service as up and status judge it.
type ServiceState struct {
	Service string `json:"service"`
	State   string `json:"state"`
	Healthy bool   `json:"healthy"`
	Ports   []int  `json:"ports"`
}

// States judges every expected service by its container: running, and
// healthy when it has a health check. A service without a container is
// "not running". This is the one definition of healthy: `up` returns only
// when it holds for every service, and `status` exits 1 when it does not.
func States(expected []Service, list []Container) []ServiceState {
	byService := indexByService(list)
	out := make([]ServiceState, 0, len(expected))
	for _, svc := range expected {
		c, ok := byService[svc.Name]
		s := ServiceState{Service: svc.Name, State: "not running", Ports: []int{}}
		if ok {
			s.State, s.Healthy = c.Describe(), c.Ready(svc.HasHealthCheck())
			for _, pub := range c.Publishers {
				if pub.PublishedPort != 0 {
					s.Ports = append(s.Ports, pub.PublishedPort)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// AllHealthy reports whether there are services and each is healthy.
func AllHealthy(states []ServiceState) bool {
	for _, s := range states {
		if !s.Healthy {
			return false
		}
	}
	return len(states) > 0
}
