package adopt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/templates"
)

// scaffold renders a template into dir/name (its private .env too, which
// compose needs for the taxi stack's passwords) and removes mlforge.yaml.
func scaffold(t *testing.T, template, name string) string {
	t.Helper()
	cat, err := templates.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cat.Get(template)
	vars, err := templates.ResolveVars(m, nil, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := cat.Render(template, vars, templates.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := templates.Write(dir, files, templates.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, config.FileName)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyDir copies testdata/src into a new directory called name.
func copyDir(t *testing.T, src, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// initAndLoad inspects dir, writes mlforge.yaml and loads it back the way
// every mlforge command does.
func initAndLoad(t *testing.T, dir string) (*Plan, *config.Config) {
	t.Helper()
	p, err := Inspect(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatalf("%v\n%s", err, p.YAML)
	}
	return p, cfg
}

func TestInitBlankTemplate(t *testing.T) {
	testenv.RequireCompose(t)
	dir := scaffold(t, "blank", "notes")
	p, cfg := initAndLoad(t, dir)
	want := map[string]config.Service{"app": {Role: "other", Port: 8000, PortEnv: "APP_PORT", Health: "/"}}
	if cfg.Project != "notes" || cfg.Compose.File != "docker-compose.yml" || !reflect.DeepEqual(cfg.Services, want) || len(cfg.Jobs) != 0 {
		t.Errorf("project %q, compose file %q, services %+v, jobs %+v\n%s", cfg.Project, cfg.Compose.File, cfg.Services, cfg.Jobs, p.YAML)
	}
	if len(p.Notes) != 0 {
		t.Errorf("notes %q: nothing was derived", p.Notes)
	}
}

// The taxi template without its mlforge.yaml: the well-known services get
// their roles, ports (through the variables the compose file reads) and
// health paths back; the profile-only jobs become jobs; the optional
// PostgreSQL (a profile, but long-running) does not.
func TestInitTaxiTemplate(t *testing.T) {
	testenv.RequireCompose(t)
	dir := scaffold(t, "taxi-duration", "taxi")
	p, cfg := initAndLoad(t, dir)
	want := map[string]config.Service{
		"mlflow":       {Role: "tracking", Port: 5000, PortEnv: "MLFLOW_PORT", Health: "/health", Title: "MLflow UI"},
		"serve":        {Role: "other", Port: 9696, PortEnv: "SERVE_PORT", Health: "/live"},
		"prometheus":   {Role: "metrics", Port: 9090, PortEnv: "PROMETHEUS_PORT", Health: "/-/ready", Title: "Prometheus"},
		"pushgateway":  {Role: "pushgateway", Port: 9091, PortEnv: "PUSHGATEWAY_PORT", Health: "/-/ready", Title: "Pushgateway"},
		"grafana":      {Role: "dashboard", Port: 3000, PortEnv: "GRAFANA_PORT", Health: "/api/health", Title: "Grafana"},
		"prefect":      {Role: "orchestrator", Port: 4200, PortEnv: "PREFECT_PORT", Health: "/api/health", Title: "Prefect UI"},
		"alertmanager": {Role: "other", Port: 9093, PortEnv: "ALERTMANAGER_PORT", Health: "/-/ready"},
	}
	if !reflect.DeepEqual(cfg.Services, want) {
		t.Errorf("services:\n got %+v\nwant %+v", cfg.Services, want)
	}
	wantJobs := map[string]config.Job{"train": {Service: "train"}, "replay": {Service: "replay"}, "monitor": {Service: "monitor"}, "retrain": {Service: "retrain"}}
	if !reflect.DeepEqual(cfg.Jobs, wantJobs) {
		t.Errorf("jobs %+v, want %+v", cfg.Jobs, wantJobs)
	}
	var skipped []string
	for _, sk := range p.Skipped {
		skipped = append(skipped, sk.Name)
	}
	if cfg.Project != "taxi" || strings.Join(skipped, ",") != "alert-bridge,postgres,worker" {
		t.Errorf("project %q, skipped %+v", cfg.Project, p.Skipped)
	}
	if !strings.Contains(string(p.YAML), "role: dashboard  # image grafana/grafana:11.3.0") ||
		!strings.Contains(string(p.YAML), "role: tracking  # command mlflow server") ||
		!strings.Contains(string(p.YAML), "role: orchestrator  # service name prefect (its image taxi-mlflow:latest is shared)") {
		t.Errorf("what the roles were guessed from is not shown:\n%s", p.YAML)
	}
}

// A typical user's project: a FastAPI app on PostgreSQL, a compose.yaml
// with underscore and dot names, a directory name mlforge cannot use as a
// project name, no mlforge anywhere.
func TestInitUserProject(t *testing.T) {
	testenv.RequireCompose(t)
	dir := copyDir(t, filepath.Join("testdata", "shop"), "Shop_API")
	p, cfg := initAndLoad(t, dir)
	want := map[string]config.Service{"web_app": {Role: "other", Port: 8000, PortEnv: "WEB_PORT", Health: "/healthz"}}
	wantJobs := map[string]config.Job{"migrate": {Service: "migrate"}, "seed.demo": {Service: "seed.demo"}}
	if cfg.Project != "shop-api" || cfg.Compose.File != "compose.yaml" || !reflect.DeepEqual(cfg.Services, want) || !reflect.DeepEqual(cfg.Jobs, wantJobs) {
		t.Errorf("project %q, compose file %q, services %+v, jobs %+v\n%s", cfg.Project, cfg.Compose.File, cfg.Services, cfg.Jobs, p.YAML)
	}
	if p.ComposeProject != "shop_api" || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], `the compose project name "shop_api" is not a valid mlforge project name`) ||
		!strings.Contains(p.Notes[0], `using "shop-api"`) {
		t.Errorf("compose project %q, notes %q: the derived name must be said", p.ComposeProject, p.Notes)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Name != "db" {
		t.Errorf("skipped %+v, want db (no port, no well-known image)", p.Skipped)
	}
	if j := p.Jobs[1]; j.Name != "seed.demo" || j.Reason != `restart: "no", no ports or health check` {
		t.Errorf("job %+v", j)
	}
}

// init never overwrites: a second run, or a file that appears meanwhile,
// leaves the existing file as it was and no temporary file behind.
func TestInitNeverOverwrites(t *testing.T) {
	testenv.RequireCompose(t)
	dir := copyDir(t, filepath.Join("testdata", "shop"), "shop")
	p, err := Inspect(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	mine := []byte("project: mine\n")
	if err := os.WriteFile(p.File, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	err = p.Write()
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("Write over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(p.File); string(b) != string(mine) {
		t.Errorf("the existing file changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".mlforge.yaml") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestInitWithoutComposeFile(t *testing.T) {
	_, err := Inspect(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no compose file in") || !strings.Contains(err.Error(), "mlforge new") {
		t.Errorf("error %v", err)
	}
}

// A compose file compose refuses is reported with compose's own words.
func TestInitBrokenComposeFile(t *testing.T) {
	testenv.RequireCompose(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    image: nginx\n    ports: [\"abc:def\"]\n"), 0o644)
	_, err := Inspect(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "reading compose.yaml") {
		t.Errorf("error %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, config.FileName)); statErr == nil {
		t.Error("mlforge.yaml written for a broken compose file")
	}
}
