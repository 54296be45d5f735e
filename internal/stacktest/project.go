// Package stacktest drives the taxi-duration stack in tests: it scaffolds
// the template into a temporary directory, brings the compose stack up on
// the local Docker engine with ports on 127.0.0.1, and talks to the
// services (train, predict, monitor, Prometheus queries). Tests of
// `mlforge up` and of SSH targets reuse the same pieces.
package stacktest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/templates"
)

// Template is the template the harness scaffolds by default.
const Template = "taxi-duration"

// Ports are the host ports (on 127.0.0.1) the stack publishes.
type Ports struct {
	MLflow, Serve, Prometheus, Pushgateway, Grafana int
	Prefect, Alertmanager                           int
	S3                                              int // only with WithS3
}

// Env returns the compose variables that select these ports.
func (p Ports) Env() map[string]string {
	return map[string]string{
		"MLFLOW_PORT":       strconv.Itoa(p.MLflow),
		"SERVE_PORT":        strconv.Itoa(p.Serve),
		"PROMETHEUS_PORT":   strconv.Itoa(p.Prometheus),
		"PUSHGATEWAY_PORT":  strconv.Itoa(p.Pushgateway),
		"GRAFANA_PORT":      strconv.Itoa(p.Grafana),
		"PREFECT_PORT":      strconv.Itoa(p.Prefect),
		"ALERTMANAGER_PORT": strconv.Itoa(p.Alertmanager),
	}
}

// Project is a scaffolded project on disk.
type Project struct {
	Dir   string // project root
	Name  string // compose project name (unique per test)
	Ports Ports
	// Profiles are compose profiles enabled besides JobsProfile.
	Profiles []string
}

// Options tune Scaffold.
type Options struct {
	Template string            // defaults to Template
	Name     string            // compose project name; defaults to testenv.Name(t)
	Vars     map[string]string // template variables besides project_name
	Env      map[string]string // extra .env settings (e.g. MODEL_POLL_SECONDS)
}

// Scaffold renders the template into a fresh temporary directory (no git),
// picks free ports and writes them into the project's .env.
func Scaffold(t testing.TB, opts Options) *Project {
	t.Helper()
	if opts.Template == "" {
		opts.Template = Template
	}
	if opts.Name == "" {
		opts.Name = testenv.Name(t)
	}
	cat, err := templates.Embedded()
	if err != nil {
		t.Fatalf("reading the embedded templates: %v", err)
	}
	m, err := cat.Get(opts.Template)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{"project_name": opts.Name}
	for k, v := range opts.Vars {
		sets[k] = v
	}
	vars, err := templates.ResolveVars(m, sets, opts.Name, nil)
	if err != nil {
		t.Fatalf("template %s: %v", opts.Template, err)
	}
	vars["dir"] = opts.Name
	files, err := cat.Render(opts.Template, vars, templates.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), opts.Name)
	if err := templates.Write(dir, files, templates.WriteOptions{}); err != nil {
		t.Fatalf("writing the project: %v", err)
	}
	p := &Project{Dir: dir, Name: opts.Name, Ports: Ports{
		MLflow: testenv.FreePort(t), Serve: testenv.FreePort(t), Prometheus: testenv.FreePort(t),
		Pushgateway: testenv.FreePort(t), Grafana: testenv.FreePort(t), S3: testenv.FreePort(t),
		Prefect: testenv.FreePort(t), Alertmanager: testenv.FreePort(t),
	}}
	env := p.Ports.Env()
	for k, v := range opts.Env {
		env[k] = v
	}
	if err := SetEnv(filepath.Join(dir, ".env"), env); err != nil {
		t.Fatal(err)
	}
	return p
}

// SetEnv sets keys in an env file, keeping its other lines (such as the
// generated Grafana password) and its 0600 mode.
func SetEnv(path string, set map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	done := map[string]bool{}
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		k, _, ok := strings.Cut(line, "=")
		if v, found := set[k]; ok && found && !strings.HasPrefix(k, "#") {
			line, done[k] = k+"="+v, true
		}
		if line != "" || len(lines) > 0 {
			lines = append(lines, line)
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !done[k] {
			lines = append(lines, k+"="+set[k])
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}
