package adopt

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/stack"
)

func TestGuessRole(t *testing.T) {
	for _, tc := range []struct {
		name, image string
		command     []string
		shared      bool // other services of the file run the image too
		role        string
	}{
		{"tracking", "ghcr.io/mlflow/mlflow:v2.21.0", nil, false, "tracking"},
		{"tracking", "taxi-mlflow:latest", nil, false, "tracking"},
		{"tracking", "python:3.11-slim", []string{"mlflow", "server", "--host", "0.0.0.0"}, false, "tracking"},
		{"metrics", "prom/prometheus:v2.55.1", nil, false, "metrics"},
		{"metrics", "bitnami/prometheus", nil, false, "metrics"},
		{"gw", "prom/pushgateway:v1.10.0", nil, false, "pushgateway"},
		{"dash", "grafana/grafana:11.3.0", nil, false, "dashboard"},
		{"dash", "grafana/grafana-oss@sha256:abcd", nil, false, "dashboard"},
		{"db", "postgres:16", nil, false, ""},
		{"web", "shop-web_app", nil, false, ""},
		{"exporter", "prometheus-exporter:1", nil, false, ""},
		// The command says more than the image.
		{"flows", "taxi-mlflow:latest", []string{"prefect", "server", "start"}, false, "orchestrator"},
		// A shared image is named after one of its services at most: the
		// service's own name comes first, the image when the name says nothing.
		{"prefect", "taxi-mlflow:latest", []string{"python", "/usr/local/lib/prefect_server.py"}, true, "orchestrator"},
		{"mlflow", "taxi-mlflow:latest", nil, true, "tracking"},
		{"ui", "taxi-mlflow:latest", nil, true, "tracking"},
		{"worker", "taxi-jobs:latest", nil, true, ""},
		// Unshared, the image decides, whatever the service is called.
		{"prefect", "taxi-mlflow:latest", nil, false, "tracking"},
	} {
		s := service{Service: stack.Service{Name: tc.name, Image: tc.image}, Command: tc.command}
		if role, _, _ := guessRole(s, tc.shared); role != tc.role {
			t.Errorf("guessRole(%s: %s %v, shared %v) = %q, want %q", tc.name, tc.image, tc.command, tc.shared, role, tc.role)
		}
	}
}

func TestHealthPath(t *testing.T) {
	port := []stack.Port{{Target: 8000, Published: "8080"}}
	for _, tc := range []struct {
		test  []string
		ports []stack.Port
		want  string
	}{
		{[]string{"CMD-SHELL", "curl -fsS http://localhost:8000/healthz || exit 1"}, port, "/healthz"},
		{[]string{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/-/ready"}, port, "/-/ready"},
		{[]string{"CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)"}, port, "/"},
		{[]string{"CMD", "curl", "-f", "http://localhost:8000"}, port, "/"},
		{[]string{"CMD", "curl", "-f", "http://localhost/health"}, []stack.Port{{Target: 80, Published: "8081"}}, "/health"},
		{[]string{"CMD", "curl", "-f", "http://localhost:9000/health"}, port, ""}, // another port than the published one
		{[]string{"CMD", "pg_isready"}, port, ""},
		{[]string{"CMD", "curl", "-f", "http://localhost:8000/health"}, nil, ""}, // nothing published
		{[]string{"NONE"}, port, ""},
	} {
		s := service{Service: stack.Service{Ports: tc.ports, HealthCheck: &stack.HealthCheck{Test: tc.test}}}
		if got := healthPath(s); got != tc.want {
			t.Errorf("healthPath(%v) = %q, want %q", tc.test, got, tc.want)
		}
	}
}

func TestJobReason(t *testing.T) {
	hc := &stack.HealthCheck{Test: []string{"CMD", "true"}}
	for _, tc := range []struct {
		name string
		s    service
		job  bool
	}{
		{"profile", service{Service: stack.Service{Profiles: []string{"jobs"}}}, true},
		{"restart no", service{Restart: "no"}, true},
		{"profile with health check", service{Service: stack.Service{Profiles: []string{"postgres"}, HealthCheck: hc}}, false},
		{"profile with restart policy", service{Service: stack.Service{Profiles: []string{"x"}}, Restart: "unless-stopped"}, false},
		{"profile with a port", service{Service: stack.Service{Profiles: []string{"x"}, Ports: []stack.Port{{Target: 1, Published: "2"}}}}, false},
		{"plain service", service{}, false},
	} {
		if got := jobReason(tc.s) != ""; got != tc.job {
			t.Errorf("%s: job %v, want %v", tc.name, got, tc.job)
		}
	}
}

func TestPublishedVar(t *testing.T) {
	for in, want := range map[string]string{
		`"127.0.0.1:${APP_PORT:-8000}:8000"`:       "APP_PORT",
		`"${WEB_PORT}:80"`:                         "WEB_PORT",
		`"$PORT:80"`:                               "PORT",
		`"${BIND:-127.0.0.1}:${API_PORT-9000}:80"`: "API_PORT",
		`"8000:8000"`:                              "",
		`"8000"`:                                   "",
		`{target: 80, published: "${UI_PORT:-3000}"}`: "UI_PORT",
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(in), &n); err != nil {
			t.Fatal(err)
		}
		if got := publishedVar(n.Content[0]); got != want {
			t.Errorf("publishedVar(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{"web_app": "web_app", "seed.demo": "seed.demo", "/-/ready": "/-/ready",
		"yes": `"yes"`, "8080": `"8080"`, "a b": `"a b"`, "/x?y=1": `"/x?y=1"`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
