package provision

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// diagRecorder keeps diagnostics.
type diagRecorder struct {
	recorder
	mu    sync.Mutex
	diags []string
}

func (d *diagRecorder) Diagnostic(sev, msg string) {
	d.mu.Lock()
	d.diags = append(d.diags, sev+": "+msg)
	d.mu.Unlock()
}

// TestUpAfterInterruptedRun plants what a killed run leaves in the state (a
// pending create) and checks the next up names it, goes on and converges.
func TestUpAfterInterruptedRun(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	e := open(t, testOptions(t, home, testProgram(1, nil)))
	if _, err := e.Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// What a killed run leaves: a pending create in the file backend's checkpoint.
	file := filepath.Join(home, "state", ".pulumi", "stacks", "taxi", "dev.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cp map[string]any
	if err := json.Unmarshal(raw, &cp); err != nil {
		t.Fatal(err)
	}
	latest := cp["checkpoint"].(map[string]any)["latest"].(map[string]any)
	stackURN := latest["resources"].([]any)[0].(map[string]any)["urn"].(string)
	latest["pending_operations"] = []any{map[string]any{
		"type": "creating",
		"resource": map[string]any{
			"urn":    strings.Replace(stackURN, "pulumi:pulumi:Stack::taxi-dev", "mlforge:test:Host::ghost", 1),
			"type":   "mlforge:test:Host",
			"custom": false,
		},
	}}
	if raw, err = json.Marshal(cp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	pending, err := e.PendingOperations(ctx)
	if err != nil || len(pending) != 1 || pending[0].Name != "ghost" || pending[0].Op != "creating" {
		t.Fatalf("pending: %+v %v", pending, err)
	}

	rec := &diagRecorder{}
	if _, err := e.Up(ctx, rec); err != nil {
		t.Fatalf("up after an interrupted run: %v", err)
	}
	if len(rec.diags) == 0 || !strings.Contains(rec.diags[0], "creating test:Host ghost") || !strings.HasPrefix(rec.diags[0], "warning: ") {
		t.Errorf("diagnostics: %q", rec.diags)
	}
	if pending, err := e.PendingOperations(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending after up: %+v %v", pending, err)
	}
}

func TestUpTargetsOnlyTouchesThem(t *testing.T) {
	home := t.TempDir()
	ctx := context.Background()
	e := open(t, testOptions(t, home, testProgram(1, nil)))
	if _, err := e.Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The program grows by one host; a targeted up at the first host's URN
	// must not create the second.
	bigger := open(t, testOptions(t, home, testProgram(2, nil)))
	plan, err := bigger.PreviewDestroy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var urn string
	for _, c := range plan.Changes {
		if c.Name == "hosta" {
			urn = c.URN
		}
	}
	rec := &recorder{}
	if err := bigger.UpTargets(ctx, rec, []string{urn}); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(Started, "create"); n != 0 {
		t.Errorf("targeted up created %d resources: %+v", n, rec.events)
	}
}
