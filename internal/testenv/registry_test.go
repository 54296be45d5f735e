package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildTiny builds a one-file image with the given content as ref.
func buildTiny(t *testing.T, ref, content string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY f /f\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", ref).Run() })
}

// The stand-in refuses a push to an existing tag, with other content or
// the same, the way ECR refuses it for an immutable repository; other
// tags and reads work as usual.
func TestStrictRegistryRefusesOverwrite(t *testing.T) {
	RequireDocker(t)
	reg := StrictRegistry(t)
	repo := reg.Addr + "/" + Name(t)
	push := func(content, tag string) (string, error) {
		ref := repo + ":" + tag
		buildTiny(t, ref, content)
		out, err := exec.Command("docker", "push", ref).CombinedOutput()
		return string(out), err
	}
	if out, err := push("one", "v1"); err != nil {
		t.Fatalf("first push: %v\n%s", err, out)
	}
	want := "tag invalid: The image tag 'v1' already exists in the '" + Name(t) + "' repository and cannot be overwritten because the repository is immutable"
	for _, content := range []string{"two", "one"} {
		out, err := push(content, "v1")
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("push of %q over v1: err %v, output:\n%s\nwant %q", content, err, out, want)
		}
	}
	if out, err := push("two", "v2"); err != nil {
		t.Errorf("push to a new tag: %v\n%s", err, out)
	}
	if s := reg.Stats(); s.ManifestPuts != 2 || s.ManifestRefused != 2 {
		t.Errorf("stats %+v: want 2 manifests stored, 2 refused", s)
	}
	_ = exec.Command("docker", "rmi", "-f", repo+":v1").Run()
	if out, err := exec.Command("docker", "pull", repo+":v1").CombinedOutput(); err != nil {
		t.Errorf("pull v1: %v\n%s", err, out)
	}
}
