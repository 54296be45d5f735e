package cli

import (
	"slices"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/stack"
)

func TestImagesToShip(t *testing.T) {
	model := &stack.Model{Name: "p", Services: map[string]stack.Service{
		"serve":    {Name: "serve", Build: &stack.Build{}, Image: "p-serve:latest", Active: true},
		"mlflow":   {Name: "mlflow", Build: &stack.Build{}, Image: "p-mlflow:latest", Active: true},
		"train":    {Name: "train", Build: &stack.Build{}, Image: "p-jobs:latest", Profiles: []string{"jobs"}},
		"monitor":  {Name: "monitor", Build: &stack.Build{}, Image: "p-jobs:latest", Profiles: []string{"jobs"}},
		"postgres": {Name: "postgres", Image: "postgres:16", Profiles: []string{"postgres"}, Active: true},
		"debug":    {Name: "debug", Image: "busybox:1", Profiles: []string{"debug"}},
		"grafana":  {Name: "grafana", Image: "grafana/grafana:11.3.0", Active: true},
	}}
	cfg := &config.Config{Jobs: map[string]config.Job{"train": {Service: "train"}, "monitor": {Service: "monitor"}}}
	tests := []struct {
		name        string
		skip        map[string]bool
		built, pull []string
	}{
		{name: "active services and jobs, each image once, in service order",
			built: []string{"p-mlflow:latest", "p-jobs:latest", "p-serve:latest"},
			pull:  []string{"grafana/grafana:11.3.0", "postgres:16"}},
		{name: "skipped services stay here", skip: map[string]bool{"grafana": true},
			built: []string{"p-mlflow:latest", "p-jobs:latest", "p-serve:latest"},
			pull:  []string{"postgres:16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			built, pull := imagesToShip(model, cfg, tt.skip)
			if !slices.Equal(built, tt.built) || !slices.Equal(pull, tt.pull) {
				t.Errorf("built %v, pull %v; want %v, %v", built, pull, tt.built, tt.pull)
			}
		})
	}
}
