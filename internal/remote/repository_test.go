package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/provision"
)

func TestRepositoryName(t *testing.T) {
	tests := []struct{ service, image, want string }{
		{"serve", "taxi-serve:latest", "taxi-serve"},
		{"serve", "ghcr.io/me/Serve@sha256:0123", "serve"},
		{"serve", "localhost:5000/team/serve", "serve"},
		{"train", "", "train"},
		{"train", "${REGISTRY}/jobs:${TAG}", "jobs"},
		{"train", "$REGISTRY/jobs:$TAG", "jobs"},
		{"train", "${IMAGE}", "train"},
		{"train", "registry/${NAME}:1", "train"},
		{"Web_App", "", "web_app"},
		{"my.svc", "", "my.svc"},
	}
	for _, tt := range tests {
		if got := remote.RepositoryName(tt.service, tt.image); got != tt.want {
			t.Errorf("RepositoryName(%q, %q) = %q, want %q", tt.service, tt.image, got, tt.want)
		}
	}
	// Names ECR would refuse are reduced to its grammar, kept unique.
	a, b := remote.RepositoryName("a._b", ""), remote.RepositoryName("a-b", "")
	if a == b || !strings.HasPrefix(a, "a-b-") || len(a) != len("a-b-")+6 {
		t.Errorf("a._b -> %q, a-b -> %q: want a valid, distinct name", a, b)
	}
	if got := remote.RepositoryName("_", ""); !strings.HasPrefix(got, "image-") {
		t.Errorf("_ -> %q", got)
	}
	if got := remote.RepositoryName(strings.Repeat("x", 200), ""); len(got) > 128 {
		t.Errorf("a 200-character service gives a %d-character name", len(got))
	}
}

// composeWithoutImages has a service without image:, one whose image is
// templated before its last element, one templated whole, and one literal
// shared by two services.
const composeWithoutImages = `services:
  plain:
    build: ./plain
  templ:
    build: ./templ
    image: ${REG}/x:${TAG}
  whole:
    build: ./whole
    image: ${WHOLE_IMAGE}
  train:
    build: ./jobs
    image: taxi-jobs:latest
  monitor:
    build: ./jobs
    image: taxi-jobs:latest
  db:
    image: postgres:16
`

// Provisioning and the deploy agree on every built image's repository,
// for images compose names itself, templated ones, and shared ones: the
// deploy reads the images as compose resolves them (docker compose
// config), provisioning reads the file as written. The deploy used to
// look for <project>-<service> and x and fail with "has no repository".
func TestProvisioningAndDeployAgree(t *testing.T) {
	testenv.RequireCompose(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(file, []byte(composeWithoutImages), 0o644); err != nil {
		t.Fatal(err)
	}
	env := "REG=123456789012.dkr.ecr.eu-west-1.amazonaws.com/team\nTAG=abc123\nWHOLE_IMAGE=other/name:7\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	provisioned, err := provision.BuiltImages(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(provisioned, " "); got != "plain taxi-jobs whole x" {
		t.Fatalf("provisioned repositories %q", got)
	}
	model, err := stack.LoadModel(context.Background(), &stack.ExecCompose{Dir: dir, Files: []string{file}, Project: "taxi"})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, s := range model.Built() {
		refs = append(refs, model.ImageRef(s))
	}
	keys, err := remote.ComposeRepositories(file)
	if err != nil {
		t.Fatal(err)
	}
	images, err := remote.RegistryImages(model, refs, keys)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, img := range images {
		got[img.Ref] = img.Repository
	}
	want := map[string]string{
		"taxi-plain": "plain",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/x:abc123": "x",
		"other/name:7":     "whole",
		"taxi-jobs:latest": "taxi-jobs",
	}
	for ref, repo := range want {
		if got[ref] != repo {
			t.Errorf("image %s goes to repository %q, want %q (all: %v)", ref, got[ref], repo, got)
		}
	}
	for _, img := range images {
		if i := sort.SearchStrings(provisioned, img.Repository); i == len(provisioned) || provisioned[i] != img.Repository {
			t.Errorf("the deploy pushes %s to %q, a repository provisioning does not create (%v)", img.Ref, img.Repository, provisioned)
		}
	}
	if _, err := remote.RegistryImages(model, []string{"stranger:1"}, keys); err == nil || !strings.Contains(err.Error(), "stranger:1") {
		t.Errorf("an image no service builds: got %v", err)
	}
}
