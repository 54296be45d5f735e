package deploy

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/stack"
)

// TestStepListsPerTarget pins the order each target declares: the whole of
// an up, readable in one place.
func TestStepListsPerTarget(t *testing.T) {
	cases := []struct {
		target      string
		buildOnHost bool
		want        []string
	}{
		{Local, false, []string{"preflight", "read the compose file", "build images", "start services", "serve a model", "check health"}},
		{SSH, false, []string{"connect to u@h:22", "Docker and Compose on the host", "preflight", "read the compose file", "build images",
			"ship images", "sync the project", "deployment settings", "start services", "serve a model", "check health", "remove replaced images"}},
		{SSH, true, []string{"connect to u@h:22", "Docker and Compose on the host", "preflight", "sync the project", "deployment settings",
			"read the compose file", "build images on the host", "start services", "serve a model", "check health"}},
		{AWS, false, []string{"provision the infrastructure", "start the instance", "instance running", "SSH reachable with the pinned host key",
			"cloud-init finished", "replace the first-boot host key", "Docker and Compose ready", "record the host key in the state", "connect to ubuntu@:22",
			"Docker and Compose on the host", "idle stop", "preflight", "read the compose file", "build images", "ship images",
			"sync the project", "deployment settings", "start services", "serve a model", "check health", "remove replaced images"}},
	}
	swarmSteps := []string{"read the compose file", "build images", "form the swarm", "label the nodes by role",
		"remove hosts no longer listed", "ship images to 3 hosts", "sync the project", "deployment settings",
		"deploy the stack", "start services", "serve a model", "check health"}
	cases = append(cases, []struct {
		target      string
		buildOnHost bool
		want        []string
	}{
		{Swarm, false, append([]string{"connect to 3 hosts", "Docker and Compose on 3 hosts"}, swarmSteps...)},
		{AWS + " with workers", false, append([]string{"provision the infrastructure", "start the instance", "instance running",
			"SSH reachable with the pinned host key", "cloud-init finished", "replace the first-boot host key",
			"Docker and Compose ready", "record the host key in the state", "2 workers running with Docker", "connect to 3 hosts", "Docker and Compose on 3 hosts"}, swarmSteps...)},
	}...)
	for _, c := range cases {
		name := c.target
		if c.buildOnHost {
			name += " build on host"
		}
		t.Run(name, func(t *testing.T) {
			target, workers := c.target, 0
			if target == AWS+" with workers" {
				target, workers = AWS, 2
			}
			cfg := &config.Resolved{Config: &config.Config{Project: "p", Target: target,
				SSH: config.SSH{Host: "u@h"}, AWS: config.AWS{Region: "eu-west-1", Workers: workers},
				Swarm: config.Swarm{Managers: []string{"u@m1"}, Workers: []string{"u@w1", "u@w2:2222"}}}, Env: "dev"}
			deps := DefaultDeps()
			deps.Getenv = func(k string) string {
				if k == "MLFORGE_HOME" {
					return t.TempDir()
				}
				return ""
			}
			tg, err := Open(deps, t.TempDir(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := &run{t: tg, opts: UpOptions{BuildOnHost: c.buildOnHost}}
			r.instance.User = "ubuntu"
			var got []string
			for _, s := range r.steps() {
				got = append(got, s.String())
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("steps:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

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

func TestAWSSettingsPutArtifactsOnTheBucket(t *testing.T) {
	got, err := awsSettings("taxi-dev-artifacts-1a2b", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"MLFLOW_ARTIFACTS_DESTINATION": "s3://taxi-dev-artifacts-1a2b/mlflow",
		"AWS_DEFAULT_REGION":           "eu-west-1",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := awsSettings("", "eu-west-1"); err == nil || !strings.Contains(err.Error(), "bucketName") {
		t.Errorf("no bucket: err = %v, want one naming the bucketName output", err)
	}
}

func TestOpenChecksWhatItCanWithoutANetwork(t *testing.T) {
	cases := []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{Project: "p", Target: SSH}, "target ssh needs a host"},
		{config.Config{Project: "p", Target: SSH, SSH: config.SSH{Host: "nohost"}}, "--host"},
		{config.Config{Project: "p", Target: SSH, SSH: config.SSH{Host: "u@h", Identity: "/nonexistent/key"}}, "--identity /nonexistent/key"},
		{config.Config{Project: "p", Target: "moon"}, `--target "moon"`},
		{config.Config{Project: "p", Target: Local, Compose: config.Compose{EnvFile: "settings.env"}}, "compose.envFile settings.env"},
	}
	for _, c := range cases {
		cfg := c.cfg
		_, err := Open(DefaultDeps(), t.TempDir(), &config.Resolved{Config: &cfg, Env: "dev"}, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}
