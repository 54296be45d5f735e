package stack

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
)

func TestStatesJudgeEveryExpectedService(t *testing.T) {
	check := &HealthCheck{Test: []string{"CMD", "true"}}
	expected := []Service{{Name: "api", HealthCheck: check}, {Name: "db"}, {Name: "gone"}, {Name: "web", HealthCheck: check}}
	list := []Container{
		{Service: "api", State: "running", Health: "healthy", Publishers: []Publisher{{PublishedPort: 8000}, {PublishedPort: 0}}},
		{Service: "db", State: "running"},
		{Service: "web", State: "running", Health: "starting"},
		{Service: "extra", State: "running"}, // not expected: ignored
	}
	got := States(expected, list)
	want := []ServiceState{
		{Service: "api", State: "healthy", Healthy: true, Ports: []int{8000}},
		{Service: "db", State: "running", Healthy: true, Ports: []int{}},
		{Service: "gone", State: "not running", Healthy: false, Ports: []int{}},
		{Service: "web", State: "starting", Healthy: false, Ports: []int{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("States:\n got %+v\nwant %+v", got, want)
	}
	if AllHealthy(got) {
		t.Error("AllHealthy with a service not running and one starting")
	}
	if AllHealthy(nil) {
		t.Error("AllHealthy with no services: a stack with nothing running is not healthy")
	}
	if !AllHealthy(got[:2]) {
		t.Error("AllHealthy false for two healthy services")
	}
}

func TestExpectedLeavesOutJobsAndSkipped(t *testing.T) {
	cfg := &config.Config{Jobs: map[string]config.Job{"train": {Service: "train"}}}
	m := &Model{Services: map[string]Service{
		"serve":   {Name: "serve", Active: true},
		"train":   {Name: "train", Active: true}, // a job, even when active
		"grafana": {Name: "grafana", Active: true},
		"debug":   {Name: "debug"}, // profile not enabled
	}}
	var names []string
	for _, s := range Expected(cfg, m, map[string]bool{"grafana": true}) {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "serve" {
		t.Errorf("Expected = %v, want [serve]", names)
	}
}

func TestSkippedRecordRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := DirStore{Dir: t.TempDir() + "/.mlforge"}
	if got, err := LoadSkipped(ctx, s); err != nil || len(got) != 0 {
		t.Fatalf("no record: %v, %v", got, err)
	}
	if err := SaveSkipped(ctx, s, map[string]bool{"grafana": true, "b": true, "off": false}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSkipped(ctx, s)
	if err != nil || !reflect.DeepEqual(got, map[string]bool{"grafana": true, "b": true}) {
		t.Errorf("LoadSkipped = %v, %v", got, err)
	}
	if err := SaveSkipped(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadSkipped(ctx, s); len(got) != 0 {
		t.Errorf("after saving none: %v, want the record removed", got)
	}
}

func TestSkipSetChecksFlagsAndConfig(t *testing.T) {
	m := &Model{Services: map[string]Service{"grafana": {}, "serve": {}}}
	cfg := &config.Config{Services: map[string]config.Service{"grafana": {Skip: true}}}
	got, err := SkipSet(m, cfg, []string{"serve"})
	if err != nil || !reflect.DeepEqual(got, map[string]bool{"grafana": true, "serve": true}) {
		t.Errorf("SkipSet = %v, %v", got, err)
	}
	if _, err := SkipSet(m, cfg, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "--skip nope: no such service") {
		t.Errorf("unknown --skip: %v", err)
	}
	bad := &config.Config{Services: map[string]config.Service{"ghost": {Skip: true}}}
	if _, err := SkipSet(m, bad, nil); err == nil || !strings.Contains(err.Error(), "services.ghost.skip") {
		t.Errorf("unknown skip in mlforge.yaml: %v", err)
	}
}

func TestPullMissingNamesTheServiceWhoseImageCannotBePulled(t *testing.T) {
	e := &fakeEngine{images: map[string]string{"prom/prometheus:v3": "sha256:p"}}
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"pull": func(args []string, stdout, stderr io.Writer) error {
			io.WriteString(stderr, "grafana Error Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host\n")
			return errors.New("exit status 18")
		},
	}}
	images := map[string]string{"grafana": "grafana/grafana:11.3.0", "prometheus": "prom/prometheus:v3"}
	err := pullMissing(context.Background(), e, c, images, &recorder{})
	if err == nil {
		t.Fatal("pullMissing succeeded with an image no registry serves")
	}
	for _, want := range []string{"service grafana: image grafana/grafana:11.3.0", "no such host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if hint := errs.Hint(err); !strings.Contains(hint, "mlforge up --skip grafana") || !strings.Contains(hint, "services.grafana.skip: true") {
		t.Errorf("hint %q does not point at --skip and the config", hint)
	}
	if n := c.called("pull --quiet grafana"); n != 1 {
		t.Errorf("pulled %d times (calls %v), want grafana alone once", n, c.calls)
	}
	// Present images are never pulled.
	c2 := &fakeCompose{}
	if err := pullMissing(context.Background(), e, c2, map[string]string{"prometheus": "prom/prometheus:v3"}, &recorder{}); err != nil || c2.called("pull") != 0 {
		t.Errorf("present image: err %v, calls %v", err, c2.calls)
	}
}
