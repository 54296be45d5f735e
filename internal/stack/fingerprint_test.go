package stack

import (
	"context"
	"testing"
)

// The start fingerprint changes with anything compose up would act on
// (the resolved model, a service's image, the set of services) and with
// nothing else.
func TestStartFingerprint(t *testing.T) {
	ctx := context.Background()
	model := func(digest string) *Model {
		return &Model{Name: "p", Digest: digest, Services: map[string]Service{
			"web": {Name: "web", Image: "web:latest"}, "db": {Name: "db", Image: "db:1"}}}
	}
	fingerprint := func(m *Model, images map[string]string, services ...string) string {
		t.Helper()
		s := &StartServices{Engine: &fakeEngine{images: images}}
		for _, n := range services {
			s.Services = append(s.Services, m.Services[n])
		}
		fp, err := s.Fingerprint(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	images := map[string]string{"web:latest": "sha256:w1", "db:1": "sha256:d1"}
	base := fingerprint(model("m1"), images, "web", "db")
	if again := fingerprint(model("m1"), images, "db", "web"); again != base {
		t.Errorf("the same start in another order: %s != %s", again, base)
	}
	for name, fp := range map[string]string{
		"model changed":     fingerprint(model("m2"), images, "web", "db"),
		"image rebuilt":     fingerprint(model("m1"), map[string]string{"web:latest": "sha256:w2", "db:1": "sha256:d1"}, "web", "db"),
		"image missing":     fingerprint(model("m1"), map[string]string{"db:1": "sha256:d1"}, "web", "db"),
		"a service skipped": fingerprint(model("m1"), images, "web"),
	} {
		if fp == base {
			t.Errorf("%s: the fingerprint did not change", name)
		}
	}
}
