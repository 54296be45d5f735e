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

// guessRole returns the role of a service, with what it was guessed from:
// its command (mlflow server, prefect server start), its image (the
// well-known images by name, such as prom/prometheus:v2.55.1 or
// ghcr.io/mlflow/mlflow, and built images named after them, such as
// taxi-mlflow) or its own name. An image that other services of the file
// run too is named after one of them at most, so for such a service its
// own name comes before the image: a Prefect server that runs the MLflow
// server's image is the orchestrator.
func guessRole(s service, sharedImage bool) (role, title, reason string) {
	if len(s.Command) >= 2 && s.Command[0] == "mlflow" && (s.Command[1] == "server" || s.Command[1] == "ui") {
		return "tracking", "MLflow UI", "command mlflow " + s.Command[1]
	}
	if len(s.Command) >= 3 && s.Command[0] == "prefect" && s.Command[1] == "server" && s.Command[2] == "start" {
		return "orchestrator", "Prefect UI", "command prefect server start"
	}
	// The names that may be a well-known one, in the order they are asked.
	type clue struct{ name, reason string }
	image := clue{imageRepo(s.Image), "image " + s.Image}
	clues := []clue{image}
	if sharedImage {
		clues = []clue{{s.Name, "service name " + s.Name + " (its image " + s.Image + " is shared)"}, image}
	}
	for _, c := range clues {
		if k := wellKnownName(c.name); k >= 0 {
			return wellKnown[k].role, wellKnown[k].title, c.reason
		}
	}
	return "", "", ""
}

// imageRepo is the last path element of an image reference, without tag
// or digest.
func imageRepo(image string) string {
	repo := image
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	repo, _, _ = strings.Cut(repo, "@")
	repo, _, _ = strings.Cut(repo, ":")
	return repo
}

// wellKnownName returns the index in wellKnown of a name that is, or ends
// in -NAME or _NAME, one of its names, and -1 when none is.
func wellKnownName(name string) int {
	for i, k := range wellKnown {
		for _, n := range k.names {
			if name == n || strings.HasSuffix(name, "-"+n) || strings.HasSuffix(name, "_"+n) {
				return i
			}
		}
	}
	return -1
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
	runners := map[string]int{} // services per image, jobs included
	for _, s := range m.services {
		if s.Image != "" {
			runners[s.Image]++
		}
	}
	for _, name := range names {
		s := m.services[name]
		s.Name = name
		if reason := jobReason(s); reason != "" {
			p.Jobs = append(p.Jobs, Job{Name: name, Service: name, Reason: reason})
			continue
		}
		role, title, why := guessRole(s, runners[s.Image] > 1)
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
