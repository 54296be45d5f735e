package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
)

func psLines(cs ...Container) func([]string, io.Writer, io.Writer) error {
	return func(_ []string, out, _ io.Writer) error {
		for _, c := range cs {
			fmt.Fprintf(out, `{"ID":"id-%s","Service":%q,"State":%q,"Health":%q,"ExitCode":%d}`+"\n", c.Service, c.Service, c.State, c.Health, c.ExitCode)
		}
		return nil
	}
}

func withHealth(name string) Service {
	return Service{Name: name, HealthCheck: &HealthCheck{Test: []string{"CMD", "true"}}}
}

func TestWaitFailsFastOnUnhealthyWithLogsAndHealthOutput(t *testing.T) {
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"ps": psLines(Container{Service: "db", State: "running", Health: "unhealthy"}, Container{Service: "web", State: "running", Health: "healthy"}),
		"logs": func(_ []string, out, _ io.Writer) error {
			fmt.Fprintln(out, "db-1  | FATAL: cannot open /data")
			return nil
		},
	}}
	e := &fakeEngine{health: []string{"exit 1: connection refused"}}
	s := &StartServices{Engine: e, Compose: c, Services: []Service{withHealth("db"), withHealth("web")}, Poll: time.Millisecond}
	r := &recorder{}
	err := s.Run(context.Background(), r)
	if err == nil || err.Error() != "service db did not become healthy: unhealthy" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(errs.Hint(err), "mlforge logs db") {
		t.Errorf("hint %q", errs.Hint(err))
	}
	out := r.printed()
	for _, want := range []string{"last log lines of db", "FATAL: cannot open /data", "health check of db (CMD true)", "exit 1: connection refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWaitTimesOutNamingTheSlowService(t *testing.T) {
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"ps": psLines(Container{Service: "slow", State: "running", Health: "starting"}),
	}}
	s := &StartServices{Engine: &fakeEngine{}, Compose: c, Services: []Service{withHealth("slow")}, Timeout: 20 * time.Millisecond, Poll: 5 * time.Millisecond}
	r := &recorder{}
	err := s.Run(context.Background(), r)
	if err == nil || !strings.HasPrefix(err.Error(), "service slow did not become healthy: still starting after") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(strings.Join(r.updates, "\n"), "waiting for slow (starting)") {
		t.Errorf("progress did not say which service was awaited: %q", r.updates)
	}
}

func TestWaitLenientModelService(t *testing.T) {
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"ps": psLines(Container{Service: "serve", State: "running", Health: "unhealthy"}),
	}}
	s := &StartServices{Engine: &fakeEngine{}, Compose: c, Services: []Service{withHealth("serve")},
		Lenient: map[string]bool{"serve": true}, Poll: time.Millisecond}
	if err := s.Run(context.Background(), &recorder{}); err != nil {
		t.Fatalf("a running model service without a model yet must not fail start: %v", err)
	}
}

func TestWaitExitedService(t *testing.T) {
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"ps": psLines(Container{Service: "api", State: "exited", ExitCode: 3}),
	}}
	s := &StartServices{Engine: &fakeEngine{}, Compose: c, Services: []Service{{Name: "api"}}, Poll: time.Millisecond}
	err := s.Run(context.Background(), &recorder{})
	if err == nil || err.Error() != "service api did not become healthy: exited (3)" {
		t.Fatalf("err = %v", err)
	}
}

// With Await, Run returns once those services are ready while the others
// still start, fails at once on any service that failed, and Wait waits
// for them all.
func TestWaitAwaitsWhatTheModelStepNeeds(t *testing.T) {
	var mu sync.Mutex
	worker := "starting"
	ps := func(args []string, out, errw io.Writer) error {
		mu.Lock()
		defer mu.Unlock()
		return psLines(Container{Service: "mlflow", State: "running", Health: "healthy"},
			Container{Service: "serve", State: "running", Health: "starting"},
			Container{Service: "worker", State: "running", Health: worker})(args, out, errw)
	}
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{"ps": ps}}
	s := &StartServices{Engine: &fakeEngine{}, Compose: c, Services: []Service{withHealth("mlflow"), withHealth("serve"), withHealth("worker")},
		Lenient: map[string]bool{"serve": true}, Await: map[string]bool{"mlflow": true, "serve": true}, Poll: time.Millisecond}
	if err := s.Run(context.Background(), &recorder{}); err != nil {
		t.Fatalf("run with the worker still starting: %v", err)
	}
	if s.Ready(context.Background()) {
		t.Error("Ready with the worker still starting")
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait(context.Background(), &recorder{}) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned with the worker still starting: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	mu.Lock()
	worker = "healthy"
	mu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	worker = "unhealthy"
	mu.Unlock()
	if err := s.Run(context.Background(), &recorder{}); err == nil || err.Error() != "service worker did not become healthy: unhealthy" {
		t.Errorf("a service not awaited failed: run returned %v", err)
	}
}

func TestModelNeeds(t *testing.T) {
	model := &Model{Services: map[string]Service{
		"mlflow": {Name: "mlflow", DependsOn: map[string]any{"postgres": map[string]any{"condition": "service_healthy", "required": false}}},
		"serve":  {Name: "serve"},
		"worker": {Name: "worker"},
		"train":  {Name: "train", DependsOn: map[string]any{"mlflow": map[string]any{"condition": "service_healthy", "required": true}}},
		"lonely": {Name: "lonely"},
		"needy":  {Name: "needy", DependsOn: map[string]any{"postgres": map[string]any{"condition": "service_healthy", "required": true}}},
		"maybe":  {Name: "maybe", DependsOn: map[string]any{"postgres": map[string]any{"required": false}, "mlflow": map[string]any{}}},
	}}
	all := []Service{{Name: "mlflow"}, {Name: "serve"}, {Name: "worker"}}
	for _, tc := range []struct {
		name, model, job string
		services         []Service
		want             string
	}{
		{"the model service and the job's dependencies", "serve", "train", all, "map[mlflow:true serve:true]"},
		{"a job without dependencies", "serve", "lonely", all, "map[serve:true]"},
		{"an optional dependency not started is not needed", "serve", "maybe", all, "map[mlflow:true serve:true]"},
		{"a required dependency not started: wait for everything", "serve", "needy", all, "map[]"},
		{"no model service", "", "train", all, "map[]"},
		{"the model service skipped", "serve", "train", all[:1], "map[]"},
		{"no training job", "serve", "", all, "map[]"},
	} {
		if got := fmt.Sprint(ModelNeeds(model, tc.services, tc.model, tc.job)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestBuildImagesSkipsUnchanged(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.Dockerfile": "FROM x\nCOPY a.txt /\n", "b.Dockerfile": "FROM x\nCOPY b.txt /\n", "a.txt": "a", "b.txt": "b"})
	model := &Model{Name: "p", Services: map[string]Service{
		"a":     {Name: "a", Build: &Build{Context: dir, Dockerfile: "a.Dockerfile"}},
		"b":     {Name: "b", Build: &Build{Context: dir, Dockerfile: "b.Dockerfile"}, Image: "p-b:latest"},
		"b-job": {Name: "b-job", Build: &Build{Context: dir, Dockerfile: "b.Dockerfile"}, Image: "p-b:latest", Profiles: []string{"jobs"}},
		"db":    {Name: "db", Image: "postgres:16"},
	}}
	e := &fakeEngine{images: map[string]string{}}
	builds := 0
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"build": func(args []string, _, _ io.Writer) error {
			builds++
			for _, svc := range args[1:] {
				e.images[model.ImageRef(model.Services[svc])] = fmt.Sprintf("sha256:%s-%d", svc, builds)
			}
			return nil
		},
	}}
	step := func() *BuildImages {
		b := &BuildImages{Engine: e, Compose: c, Model: model, Commit: "abc123"}
		if err := b.Run(context.Background(), &recorder{}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := step()
	if len(first.Built) != 2 || builds != 1 || c.called("build a b") != 1 {
		t.Fatalf("first run built %v in %d builds (calls %v)", first.Built, builds, c.calls)
	}
	if e.images["p-a:g-abc123"] == "" || e.images["p-b:g-abc123"] == "" {
		t.Errorf("no git tags: %v", e.images)
	}
	second := step()
	if len(second.Built) != 0 || len(second.Reused) != 2 || builds != 1 {
		t.Errorf("second run built %v reused %v", second.Built, second.Reused)
	}
	writeTree(t, dir, map[string]string{"a.txt": "changed"})
	third := step()
	if strings.Join(third.Built, ",") != "p-a" || builds != 2 {
		t.Errorf("after changing a.txt built %v", third.Built)
	}
}

func TestPreflightErrors(t *testing.T) {
	compose := func(version string) *fakeCompose {
		return &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
			"version": func(_ []string, out, _ io.Writer) error { fmt.Fprintln(out, version); return nil },
		}}
	}
	stopped := &fakeEngine{infoErr: errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")}
	err := (&Preflight{Engine: stopped, Compose: compose("2.40.3")}).Run(context.Background(), &recorder{})
	if err == nil || !strings.HasPrefix(err.Error(), "Docker is not running") || !strings.Contains(errs.Hint(err), "mlforge bootstrap --local") {
		t.Errorf("stopped engine: %v (hint %q)", err, errs.Hint(err))
	}
	err = (&Preflight{Engine: &fakeEngine{}, Compose: compose("2.12.2")}).Run(context.Background(), &recorder{})
	if err == nil || err.Error() != "Docker Compose 2.12.2 is too old: mlforge needs 2.20.0 or newer" {
		t.Errorf("old compose: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	err = (&Preflight{Engine: &fakeEngine{}, Compose: compose("v2.40.3"),
		Ports: []PortClaim{{Port: port, Service: "serve", Key: "services.serve.port"}}}).Run(context.Background(), &recorder{})
	if err == nil || err.Error() != fmt.Sprintf("port %d for service serve is already in use on 127.0.0.1", port) ||
		!strings.HasPrefix(errs.Hint(err), "change services.serve.port in mlforge.yaml") {
		t.Errorf("taken port: %v (hint %q)", err, errs.Hint(err))
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"2.20.0": true, "2.40.3": true, "2.19.9": false, "1.29.2": false, "3.0.0": true, "2.26.1-desktop.1": true, "2.20": true} {
		if got := versionAtLeast(v, MinCompose); got != want {
			t.Errorf("versionAtLeast(%s) = %v", v, got)
		}
	}
}

func TestParsePS(t *testing.T) {
	lines := `{"ID":"1","Service":"web","State":"running","Health":"healthy","Publishers":[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":8080}]}
{"ID":"2","Service":"db","State":"exited","ExitCode":1}`
	array := `[{"ID":"1","Service":"web","State":"running","Health":"healthy"},{"ID":"2","Service":"db","State":"exited","ExitCode":1}]`
	for _, in := range []string{lines, array} {
		list, err := parsePS([]byte(in))
		if err != nil || len(list) != 2 || list[0].Service != "db" || list[1].Describe() != "healthy" || list[0].Describe() != "exited (1)" {
			t.Errorf("parsePS(%q) = %+v, %v", in, list, err)
		}
	}
}

// fakeProber answers paths by prefix with a status.
type fakeProber struct {
	mu     sync.Mutex
	status map[string]int
}

func (f *fakeProber) set(prefix string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[prefix] = status
}

func (f *fakeProber) Post(ctx context.Context, port int, path string, body []byte) (int, []byte, error) {
	return f.Get(ctx, port, path)
}

func (f *fakeProber) Get(ctx context.Context, port int, path string) (int, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for prefix, status := range f.status {
		if strings.HasPrefix(path, prefix) {
			return status, []byte(`{"model_version": "3"}`), nil
		}
	}
	return 0, nil, errors.New("connection refused")
}

// A restarted model server with a model in the registry is waited for,
// not retrained; without the alias, the training job runs.
func TestEnsureModelTrainsOnlyWithoutTheAlias(t *testing.T) {
	for _, tc := range []struct {
		aliasStatus int
		wantTrain   bool
	}{{200, false}, {404, true}} {
		prober := &fakeProber{status: map[string]int{"/api/2.0/mlflow/registered-models/alias": tc.aliasStatus}}
		c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
			"run": func([]string, io.Writer, io.Writer) error { prober.set("/health", 200); return nil },
		}}
		e := &EnsureModel{Compose: c, Prober: prober, Service: "serve", Port: 9696, HealthPath: "/health", Job: "train",
			Registered: "taxi-duration@production", TrackingPort: 5000, Poll: time.Millisecond, Timeout: time.Second}
		if _, skip := e.Skip(context.Background()); skip {
			t.Fatal("skipped while the server was not ready")
		}
		if !tc.wantTrain {
			go func() { time.Sleep(20 * time.Millisecond); prober.set("/health", 200) }()
		}
		if err := e.Run(context.Background(), &recorder{}); err != nil {
			t.Fatal(err)
		}
		if e.Trained != tc.wantTrain || c.called("run") != map[bool]int{true: 1, false: 0}[tc.wantTrain] || e.Version != "3" {
			t.Errorf("alias HTTP %d: trained=%v runs=%d version=%q", tc.aliasStatus, e.Trained, c.called("run"), e.Version)
		}
	}
}

// A held port is the project's own when one of its containers publishes
// it, or becomes so while a container of the claiming service starts (it
// holds the port before it lists it); anything else is refused.
func TestPreflightPortOfTheProject(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	running := fmt.Sprintf(`{"Service":"serve","State":"running","Publishers":[{"URL":"127.0.0.1","TargetPort":8000,"PublishedPort":%d}]}`, port)
	for _, tc := range []struct {
		name string
		ps   []string // what successive `compose ps` calls print; the last repeats
		ok   bool
	}{
		{"published by the service", []string{running}, true},
		{"starting, then published", []string{`{"Service":"serve","State":"created"}`, `{"Service":"serve","State":"created"}`, running}, true},
		{"restarting, then published", []string{`{"Service":"serve","State":"restarting"}`, running}, true},
		{"starting and never published", []string{`{"Service":"serve","State":"created"}`}, false},
		{"another service starting", []string{`{"Service":"ticker","State":"created"}`}, false},
		{"the service exited", []string{`{"Service":"serve","State":"exited","ExitCode":1}`}, false},
		{"no container", []string{""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			compose := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
				"version": func(_ []string, out, _ io.Writer) error { fmt.Fprintln(out, "2.40.3"); return nil },
				"ps": func(_ []string, out, _ io.Writer) error {
					fmt.Fprintln(out, tc.ps[min(calls, len(tc.ps)-1)])
					calls++
					return nil
				},
			}}
			err := (&Preflight{Engine: &fakeEngine{}, Compose: compose, StartWait: 500 * time.Millisecond,
				Ports: []PortClaim{{Port: port, Service: "serve", Key: "services.serve.port"}}}).Run(context.Background(), &recorder{})
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && (err == nil || err.Error() != fmt.Sprintf("port %d for service serve is already in use on 127.0.0.1", port)) {
				t.Errorf("err = %v, want the port refused", err)
			}
			if want := len(tc.ps); !strings.Contains(tc.name, "never") && calls != want {
				t.Errorf("compose ps ran %d times, want %d", calls, want)
			}
		})
	}
}

// Ports the running stack holds (every up after the first) cost one
// listing of its containers, however many there are.
func TestPreflightListsContainersOnce(t *testing.T) {
	var claims []PortClaim
	var ps []string
	for _, svc := range []string{"serve", "mlflow", "prometheus"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		claims = append(claims, PortClaim{Port: port, Service: svc, Key: "services." + svc + ".port"})
		ps = append(ps, fmt.Sprintf(`{"Service":%q,"State":"running","Publishers":[{"URL":"127.0.0.1","TargetPort":80,"PublishedPort":%d}]}`, svc, port))
	}
	calls := 0
	compose := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"version": func(_ []string, out, _ io.Writer) error { fmt.Fprintln(out, "2.40.3"); return nil },
		"ps": func(_ []string, out, _ io.Writer) error {
			calls++
			fmt.Fprintln(out, strings.Join(ps, "\n"))
			return nil
		},
	}}
	if err := (&Preflight{Engine: &fakeEngine{}, Compose: compose, Ports: claims}).Run(context.Background(), &recorder{}); err != nil || calls != 1 {
		t.Errorf("preflight: %v after %d listings, want none and 1", err, calls)
	}
}
