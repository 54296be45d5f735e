package provision

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/testenv"
)

// testProgram is provider-free: components, a config value and outputs.
// hold, when set, blocks the program after its first host until closed (an
// in-flight operation, to test locks and cancellation during an update).
func testProgram(hosts int, hold <-chan struct{}) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for i := 0; i < hosts; i++ {
			if i == 1 && hold != nil {
				<-hold
			}
			var comp struct{ pulumi.ResourceState }
			name := "host" + string(rune('a'+i))
			if err := ctx.RegisterComponentResource("mlforge:test:Host", name, &comp); err != nil {
				return err
			}
			var disk struct{ pulumi.ResourceState }
			if err := ctx.RegisterComponentResource("mlforge:test:Disk", name+"-disk", &disk, pulumi.Parent(&comp)); err != nil {
				return err
			}
			if err := ctx.RegisterResourceOutputs(&disk, pulumi.Map{}); err != nil {
				return err
			}
			if err := ctx.RegisterResourceOutputs(&comp, pulumi.Map{}); err != nil {
				return err
			}
		}
		greeting, _ := ctx.GetConfig(ctx.Project() + ":greeting")
		ctx.Export("greeting", pulumi.String(greeting))
		ctx.Export("hosts", pulumi.Int(hosts))
		ctx.Export("token", pulumi.ToSecret(pulumi.String("s3cret")))
		return nil
	}
}

// testOptions points a stack at a fresh mlforge directory and file backend.
func testOptions(t testing.TB, home string, prog pulumi.RunFunc) Options {
	t.Helper()
	testenv.RequirePulumi(t)
	userHome, _ := os.UserHomeDir()
	return Options{
		Project: "taxi", Env: "dev", Home: home, Program: prog,
		Config:     map[string]string{"greeting": "hello"},
		EnvVars:    map[string]string{"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"},
		PulumiHome: filepath.Join(home, "pulumi-home"),
		Pulumi: PulumiCLI{Home: home, UserHome: userHome, Install: func(context.Context, string) (auto.PulumiCommand, error) {
			return nil, errors.New("offline")
		}},
		Getenv: func(string) string { return "" },
	}
}

func open(t *testing.T, o Options) *Infra {
	t.Helper()
	e, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// recorder keeps resource events for assertions.
type recorder struct {
	mu     sync.Mutex
	events []ResourceEvent
}

func (r *recorder) Resource(ev ResourceEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}
func (r *recorder) Diagnostic(string, string) {}

func (r *recorder) count(phase Phase, op string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Phase == phase && ev.Op == op {
			n++
		}
	}
	return n
}

func TestLifecycleWithFileBackend(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	e := open(t, testOptions(t, home, testProgram(2, nil)))

	plan, err := e.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.HasChanges() || plan.Summary["create"] != 5 || len(plan.Changes) != 4 {
		t.Fatalf("first preview: want 4 components (+ the stack) to create, got %+v", plan)
	}

	rec := &recorder{}
	out, err := e.Up(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.count(Done, "create") != 4 || rec.count(Started, "create") != 4 {
		t.Errorf("up events: %+v", rec.events)
	}
	if out["greeting"].Value != "hello" || out["hosts"].Value != float64(2) {
		t.Errorf("outputs: %+v", out)
	}
	if tok := out["token"]; !tok.Secret || tok.Value != "[secret]" {
		t.Errorf("secret output leaked: %+v", tok)
	}
	state, _ := os.ReadFile(filepath.Join(home, "state", ".pulumi", "stacks", "taxi", "dev.json"))
	if len(state) == 0 || bytes.Contains(state, []byte("s3cret")) {
		t.Errorf("state file: missing, or the secret is stored in plain text (%d bytes)", len(state))
	}
	if st, err := os.Stat(filepath.Join(home, "taxi", "dev", "passphrase")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file: %v %v", st, err)
	}

	// A second process (new workspace, same directory) converges: no changes.
	again := open(t, testOptions(t, home, testProgram(2, nil)))
	plan, err = again.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.HasChanges() {
		t.Errorf("preview after up: want no changes, got %+v", plan)
	}
	if err := again.Refresh(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, err := again.Outputs(ctx)
	if err != nil || got["greeting"].Value != "hello" {
		t.Fatalf("outputs: %v %v", got, err)
	}

	// Config drives the program; a change shows as an update of outputs.
	o := testOptions(t, home, testProgram(1, nil))
	smaller := open(t, o)
	plan, err = smaller.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary["delete"] != 2 {
		t.Errorf("preview with one host fewer: %+v", plan)
	}
	gone, err := smaller.PreviewDestroy(ctx)
	if err != nil || len(gone.Changes) != 4 {
		t.Fatalf("preview destroy: %+v %v", gone, err)
	}
	rec = &recorder{}
	if err := smaller.Destroy(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if rec.count(Done, "delete") != 4 {
		t.Errorf("destroy events: %+v", rec.events)
	}
	if got, err := smaller.Outputs(ctx); err != nil || len(got) != 0 {
		t.Errorf("outputs after destroy: %v %v", got, err)
	}
}

func TestConcurrentRunIsLocked(t *testing.T) {
	home := t.TempDir()
	hold := make(chan struct{})
	first := open(t, testOptions(t, home, testProgram(2, hold)))
	second := open(t, testOptions(t, home, testProgram(1, nil)))
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { _, err := first.Up(context.Background(), rec); done <- err }()
	defer func() { close(hold); <-done }()

	// The first run holds the lock once its first host is created (its
	// program then waits on hold).
	for deadline := time.Now().Add(60 * time.Second); rec.count(Done, "create") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the first run never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, err := second.Up(context.Background(), nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second run: want ErrLocked, got %v", err)
	}
	t.Logf("second run: %v\nhint: %s", err, errs.Hint(err))
	host, _ := os.Hostname()
	if !strings.Contains(err.Error(), "created by") || !strings.Contains(err.Error(), "@"+host+" (pid ") || !strings.Contains(errs.Hint(err), "pulumi cancel") {
		t.Errorf("lock error does not say who holds it and how to clear a stale lock: %v (hint %q)", err, errs.Hint(err))
	}
}

func TestCancelThenConverge(t *testing.T) {
	home := t.TempDir()
	hold := make(chan struct{})
	e := open(t, testOptions(t, home, testProgram(2, hold)))
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { _, err := e.Up(ctx, rec); done <- err }()
	for deadline := time.Now().Add(60 * time.Second); rec.count(Done, "create") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("up never created the components")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	// The in-flight operation finishes; nothing after it may start.
	time.Sleep(time.Second)
	close(hold)
	select {
	case err := <-done:
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("cancelled up: want ErrCancelled, got %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("up did not stop after cancel")
	}
	again := open(t, testOptions(t, home, testProgram(2, nil)))
	out, err := again.Up(context.Background(), nil)
	if err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if out["hosts"].Value != float64(2) {
		t.Errorf("outputs after converging: %+v", out)
	}
	if rec.count(Started, "create") != 2 {
		t.Errorf("cancelled run went on creating: %+v", rec.events)
	}
}

func TestWrongPassphraseSaysWhatToDo(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	if _, err := open(t, testOptions(t, home, testProgram(1, nil))).Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, home, testProgram(1, nil))
	o.Getenv = func(k string) string {
		if k == PassphraseEnv {
			return "not-the-one"
		}
		return ""
	}
	e, err := Open(ctx, o)
	if err == nil {
		_, err = e.Up(ctx, nil)
	}
	t.Logf("wrong passphrase: %v\nhint: %s", err, errs.Hint(err))
	if err == nil || !strings.Contains(errs.Hint(err), PassphraseEnv) {
		t.Errorf("wrong passphrase: want a hint naming %s, got %v (hint %q)", PassphraseEnv, err, errs.Hint(err))
	}
}
