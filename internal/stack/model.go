package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Model is the part of the resolved compose model (docker compose config
// --format json) that mlforge reads.
type Model struct {
	Name     string             `json:"name"`
	Services map[string]Service `json:"services"`
	// Digest is the SHA-256 of the whole resolved compose model (every
	// key, values interpolated): it changes with anything that would make
	// compose recreate a container.
	Digest string `json:"-"`
}

// Service is one compose service.
type Service struct {
	Name        string       `json:"-"`
	Image       string       `json:"image"`
	Build       *Build       `json:"build"`
	Profiles    []string     `json:"profiles"`
	Ports       []Port       `json:"ports"`
	HealthCheck *HealthCheck `json:"healthcheck"`
	// DependsOn are the services it starts after (compose's depends_on).
	DependsOn map[string]any `json:"depends_on"`
	// Active is set for the services a plain `compose up` starts: those
	// without a profile, and those whose profile COMPOSE_PROFILES enables
	// (in the environment or the project's .env), such as the optional
	// PostgreSQL backend.
	Active bool `json:"-"`
}

// Build is a service's build section, paths resolved by compose.
type Build struct {
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile"`
	Args       map[string]string `json:"args"`
	Target     string            `json:"target"`
}

// Port is a published port.
type Port struct {
	HostIP    string `json:"host_ip"`
	Target    int    `json:"target"`
	Published string `json:"published"`
}

// HealthCheck is a service's health check (nil when it has none).
type HealthCheck struct {
	Test    []string `json:"test"`
	Disable bool     `json:"disable"`
}

// LoadModel asks compose for the resolved model, with every profile so
// one-shot jobs are included.
func LoadModel(ctx context.Context, c Compose) (*Model, error) {
	out, err := capture(ctx, c, "--profile", "*", "config", "--format", "json")
	if err != nil {
		return nil, fmt.Errorf("reading the compose file: %w", err)
	}
	m := &Model{}
	if err := json.Unmarshal(out, m); err != nil {
		return nil, fmt.Errorf("reading the compose model: %w", err)
	}
	sum := sha256.Sum256(out)
	m.Digest = hex.EncodeToString(sum[:])
	// Without --profile compose names the services enabled by default.
	out, err = capture(ctx, c, "config", "--services")
	if err != nil {
		return nil, fmt.Errorf("reading the compose file's services: %w", err)
	}
	active := map[string]bool{}
	for _, name := range strings.Fields(string(out)) {
		active[name] = true
	}
	for name, s := range m.Services {
		s.Name, s.Active = name, active[name]
		m.Services[name] = s
	}
	return m, nil
}

// ImageRef is the image compose runs for a service: its image key, or the
// name compose gives a built image.
func (m *Model) ImageRef(s Service) string {
	if s.Image != "" {
		return s.Image
	}
	return m.Name + "-" + s.Name
}

// LongRunning lists the services a plain `compose up` starts (Active),
// sorted by name, without those in skip.
func (m *Model) LongRunning(skip map[string]bool) []Service {
	var out []Service
	for _, s := range m.Services {
		if s.Active && !skip[s.Name] {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Built lists the services with a build section, sorted by name.
func (m *Model) Built() []Service {
	var out []Service
	for _, s := range m.Services {
		if s.Build != nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// HasHealthCheck reports whether compose will report health for s.
func (s Service) HasHealthCheck() bool {
	return s.HealthCheck != nil && !s.HealthCheck.Disable && len(s.HealthCheck.Test) > 0 && s.HealthCheck.Test[0] != "NONE"
}

// PublishedPort returns the host port mapped to target, or 0.
func (s Service) PublishedPort() int {
	for _, p := range s.Ports {
		if n, err := strconv.Atoi(p.Published); err == nil {
			return n
		}
	}
	return 0
}
