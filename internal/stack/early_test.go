package stack

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnbuiltFollowsDependencies(t *testing.T) {
	m := &Model{Services: map[string]Service{
		"mlflow":      {Name: "mlflow", Build: &Build{}, DependsOn: map[string]any{"postgres": nil}},
		"postgres":    {Name: "postgres", Image: "postgres:16"},
		"prometheus":  {Name: "prometheus", Image: "prom/prometheus", DependsOn: map[string]any{"pushgateway": nil}},
		"pushgateway": {Name: "pushgateway", Image: "prom/pushgateway"},
		"grafana":     {Name: "grafana", Image: "grafana/grafana", DependsOn: map[string]any{"prometheus": nil, "serve": nil}},
		"serve":       {Name: "serve", Build: &Build{}},
		"loop":        {Name: "loop", Image: "x", DependsOn: map[string]any{"loop2": nil}},
		"loop2":       {Name: "loop2", Image: "y", DependsOn: map[string]any{"loop": nil}},
		"ghost":       {Name: "ghost", Image: "z", DependsOn: map[string]any{"missing": nil}},
	}}
	var all []Service
	for _, s := range m.Services {
		all = append(all, s)
	}
	var names []string
	for _, s := range Unbuilt(m, all) {
		names = append(names, s.Name)
	}
	// grafana waits for serve (built); a dependency compose cannot resolve
	// keeps a service back; a cycle does not hang.
	if got := strings.Join(names, ","); got != "loop,loop2,postgres,prometheus,pushgateway" {
		t.Errorf("Unbuilt = %s", got)
	}
}

// Meanwhile runs only when there is something to build, and the build
// waits for it.
func TestBuildRunsMeanwhileOnlyWhenBuilding(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Dockerfile", "FROM scratch\nCOPY a .\n")
	writeFile(t, dir, "a", "1")
	m := &Model{Name: "p", Services: map[string]Service{"web": {Name: "web", Image: "p-web:latest", Build: &Build{Context: dir, Dockerfile: "Dockerfile"}}}}
	e := &fakeEngine{images: map[string]string{}}
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"build": func([]string, io.Writer, io.Writer) error { e.images["p-web:latest"] = "sha256:1"; return nil },
	}}
	ran, waited := 0, 0
	meanwhile := func(context.Context) func() { ran++; return func() { waited++ } }
	b := &BuildImages{Engine: e, Compose: c, Model: m, Meanwhile: meanwhile}
	if err := b.Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if ran != 1 || waited != 1 {
		t.Errorf("first build: meanwhile ran %d, waited %d; want 1 and 1", ran, waited)
	}
	again := &BuildImages{Engine: e, Compose: c, Model: m, Meanwhile: meanwhile}
	if err := again.Run(context.Background(), &recorder{}); err != nil || ran != 1 {
		t.Errorf("nothing to build: meanwhile ran %d times (err %v), want it left alone", ran, err)
	}
}

func writeFile(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
