package deploy

import (
	"context"
	"testing"

	"github.com/mlforge/mlforge/internal/stack"
)

// images is an engine that only knows image IDs.
type images map[string]string

func (e images) Info(context.Context) (stack.EngineInfo, error)        { return stack.EngineInfo{}, nil }
func (e images) ImageID(_ context.Context, ref string) (string, error) { return e[ref], nil }
func (e images) Tag(context.Context, string, string) error             { return nil }
func (e images) HealthLog(context.Context, string) ([]string, error)   { return nil, nil }
func (e images) Images(context.Context, string) ([]stack.ImageNames, error) {
	return nil, nil
}
func (e images) Untag(context.Context, string) error { return nil }

// The start record a host's no-op up compares: on a host it changes with
// the project's copy there and with the deployment settings, as it does
// with an image or the compose model; on this machine those are not part
// of it (there is no copy, and no settings file).
func TestStartFingerprint(t *testing.T) {
	model := &stack.Model{Name: "p", Digest: "d1", Services: map[string]stack.Service{
		"app": {Name: "app", Image: "p-app:latest"}, "db": {Name: "db", Image: "postgres:16"}}}
	step := func(e images) *stack.StartServices {
		return &stack.StartServices{Engine: e, Services: []stack.Service{model.Services["app"], model.Services["db"]}}
	}
	base := images{"p-app:latest": "sha256:a1", "postgres:16": "sha256:p1"}
	fp := func(kind, synced, settings, digest string, e images) string {
		t.Helper()
		m := *model
		m.Digest = digest
		s := start{&run{t: &Target{Kind: kind}, model: &m, synced: synced, settings: settings}}
		got, err := s.fingerprint(context.Background(), step(e))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	host := fp(SSH, "h1", "s1", "d1", base)
	if again := fp(SSH, "h1", "s1", "d1", base); again != host {
		t.Errorf("the same start gave two fingerprints: %s, %s", host, again)
	}
	changed := map[string]string{
		"the project's copy": fp(SSH, "h2", "s1", "d1", base),
		"the settings":       fp(SSH, "h1", "s2", "d1", base),
		"no settings":        fp(SSH, "h1", "", "d1", base),
		"the compose model":  fp(SSH, "h1", "s1", "d2", base),
		"an image":           fp(SSH, "h1", "s1", "d1", images{"p-app:latest": "sha256:a2", "postgres:16": "sha256:p1"}),
	}
	for what, got := range changed {
		if got == host {
			t.Errorf("a change of %s left the host's fingerprint as it was", what)
		}
	}
	if fp(Local, "h1", "s1", "d1", base) != fp(Local, "", "", "d1", base) {
		t.Error("this machine's fingerprint depends on a host's copy or settings")
	}
	if fp(Local, "", "", "d1", base) == host {
		t.Error("a host's fingerprint is this machine's")
	}
}
