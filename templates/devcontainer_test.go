package templates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FeatureRef is how devcontainers name the mlforge Feature once it is
// published from features/src/mlforge (ghcr.io/OWNER/REPO/ID:MAJOR).
const featureRef = "ghcr.io/mlforge/mlforge/mlforge:1"

// Every template's devcontainer installs mlforge through the Feature, pinned
// to the release that rendered it, instead of building it with Go; the
// reference matches the Feature's id and major version in this repository.
func TestDevcontainersUseTheFeature(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "features", "src", "mlforge", "devcontainer-feature.json"))
	if err != nil {
		t.Fatal(err)
	}
	var feature struct{ ID, Version string }
	if err := json.Unmarshal(b, &feature); err != nil {
		t.Fatal(err)
	}
	major, _, _ := strings.Cut(feature.Version, ".")
	if want := "ghcr.io/mlforge/mlforge/" + feature.ID + ":" + major; want != featureRef {
		t.Fatalf("the Feature is published as %s, the templates use %s", want, featureRef)
	}
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.List() {
		var dc struct {
			Features          map[string]map[string]any `json:"features"`
			PostCreateCommand string                    `json:"postCreateCommand"`
		}
		data := fileData(t, renderFixed(t, cat, m.Name), ".devcontainer/devcontainer.json")
		if err := json.Unmarshal(stripJSONComments(data), &dc); err != nil {
			t.Fatal(err)
		}
		if v := dc.Features[featureRef]["version"]; v != "latest" {
			t.Errorf("%s: the mlforge Feature has version %v, want the rendering mlforge's (latest for a development build)", m.Name, v)
		}
		for ref := range dc.Features {
			if strings.Contains(ref, "/go:") {
				t.Errorf("%s: the devcontainer still installs Go (%s)", m.Name, ref)
			}
		}
		if strings.Contains(dc.PostCreateCommand, "go install") {
			t.Errorf("%s: postCreateCommand builds mlforge: %q", m.Name, dc.PostCreateCommand)
		}
	}
}
