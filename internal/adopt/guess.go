package adopt

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// wellKnown maps the last path element of an image name to the role and
// title of the service that runs it.
var wellKnown = []struct {
	names       []string
	role, title string
}{
	{[]string{"mlflow"}, "tracking", "MLflow UI"},
	{[]string{"prometheus"}, "metrics", "Prometheus"},
	{[]string{"pushgateway"}, "pushgateway", "Pushgateway"},
	{[]string{"grafana", "grafana-oss", "grafana-enterprise"}, "dashboard", "Grafana"},
	{[]string{"prefect"}, "orchestrator", "Prefect UI"},
}

// guessRole returns the role of a service from its image (the well-known
// images by name, such as prom/prometheus:v2.55.1 or ghcr.io/mlflow/mlflow,
// and built images named after them, such as taxi-mlflow) or its command
// (mlflow server), with what it was guessed from.
func guessRole(s service) (role, title, reason string) {
	repo := s.Image
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, "@")
	repo, _, _ = strings.Cut(repo, ":")
	for _, k := range wellKnown {
		for _, n := range k.names {
			if repo == n || strings.HasSuffix(repo, "-"+n) || strings.HasSuffix(repo, "_"+n) {
				return k.role, k.title, "image " + s.Image
			}
		}
	}
	if len(s.Command) >= 2 && s.Command[0] == "mlflow" && (s.Command[1] == "server" || s.Command[1] == "ui") {
		return "tracking", "MLflow UI", "command mlflow " + s.Command[1]
	}
	return "", "", ""
}

// probeURL finds the URL an HTTP health check asks: curl, wget or a
// Python urlopen of a loopback address.
var probeURL = regexp.MustCompile(`https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::([0-9]+))?(/[^\s'"\\)]*)?`)

// healthPath returns the HTTP path of the service's compose health check,
// when it is an HTTP probe of the port mlforge reaches (the container port
// behind the published port), and "" otherwise.
func healthPath(s service) string {
	if !s.HasHealthCheck() {
		return ""
	}
	m := probeURL.FindStringSubmatch(strings.Join(s.HealthCheck.Test, " "))
	if m == nil {
		return ""
	}
	port := 80
	if m[1] != "" {
		port, _ = strconv.Atoi(m[1])
	}
	if target := publishedTarget(s); target == 0 || port != target {
		return ""
	}
	if m[2] == "" {
		return "/"
	}
	return m[2]
}

// publishedTarget is the container port behind the first published port.
func publishedTarget(s service) int {
	for _, p := range s.Ports {
		if _, err := strconv.Atoi(p.Published); err == nil {
			return p.Target
		}
	}
	return 0
}

// longRunning reports whether a service runs until stopped: it publishes a
// port, has a health check, or restarts by policy.
func longRunning(s service) bool {
	switch s.Restart {
	case "always", "unless-stopped", "on-failure":
		return true
	}
	return s.PublishedPort() != 0 || s.HasHealthCheck() || strings.HasPrefix(s.Restart, "on-failure")
}

// jobReason says why a service looks like a one-shot job ("" when not):
// it sits behind a profile or never restarts, and does not run until stopped.
func jobReason(s service) string {
	if longRunning(s) {
		return ""
	}
	switch {
	case len(s.Profiles) > 0:
		return fmt.Sprintf("profile %s, no ports, health check or restart policy", strings.Join(s.Profiles, ", "))
	case s.Restart == "no":
		return `restart: "no", no ports or health check`
	}
	return ""
}

// mapServices fills p's services, jobs and skipped services from m.
func mapServices(p *Plan, m *model) {
	names := make([]string, 0, len(m.services))
	for n := range m.services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := m.services[name]
		if reason := jobReason(s); reason != "" {
			p.Jobs = append(p.Jobs, Job{Name: name, Service: name, Reason: reason})
			continue
		}
		role, title, why := guessRole(s)
		port := s.PublishedPort()
		if role == "" && port == 0 {
			p.Skipped = append(p.Skipped, Skipped{Name: name, Reason: "no published port and no well-known image: compose runs it, mlforge needs nothing about it"})
			continue
		}
		if role == "" {
			role, why = "other", "no well-known image"
		}
		svc := Service{Name: name, Role: role, RoleReason: why, Title: title, Port: port, Health: healthPath(s)}
		if port != 0 {
			svc.PortEnv = s.portEnv
		}
		p.Services = append(p.Services, svc)
	}
}
