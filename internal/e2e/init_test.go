package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// copyTree copies a directory of test data into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// adoptThenRun is what a user with an existing compose project does: init
// (taking the proposal), up, status; then the project's teardown.
func adoptThenRun(t *testing.T, dir, project string, env []string) {
	t.Helper()
	t.Cleanup(func() { down(t, dir); removeImages(t, project) })
	r := mlforge(t, dir, env, "init", "--yes")
	if r.code != 0 {
		t.Fatalf("init: exit %d", r.code)
	}
	if again := mlforge(t, dir, env, "init", "--yes"); again.code == 0 || !strings.Contains(again.errOut, "already exists") {
		t.Errorf("a second init: exit %d, want a refusal to overwrite", again.code)
	}
	if v := mlforge(t, dir, env, "config", "validate"); v.code != 0 {
		t.Fatalf("the written mlforge.yaml does not validate")
	}
	if up := mlforge(t, dir, env, "up"); up.code != 0 {
		t.Fatalf("up after init: exit %d", up.code)
	}
	if st := mlforge(t, dir, env, "status"); st.code != 0 {
		t.Errorf("status after init and up: exit %d", st.code)
	}
}

// A typical user's project (a FastAPI app on PostgreSQL, underscore and
// dot names, no mlforge anywhere) comes up through init without editing
// YAML.
func TestInitThenUpOnAUserProject(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	testenv.RequireImage(t, "postgres:16")
	dir := filepath.Join(t.TempDir(), "Shop_API")
	copyTree(t, "../adopt/testdata/shop", dir)
	port := testenv.FreePort(t)
	adoptThenRun(t, dir, "shop-api", []string{fmt.Sprintf("WEB_PORT=%d", port)})
}

// The blank template without its mlforge.yaml is adopted back.
func TestInitThenUpOnTheBlankTemplate(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequireImage(t, "python:3.11-slim")
	root := t.TempDir()
	name := testenv.Name(t)
	r := mlforge(t, root, nil, "new", name, "--template", "blank", "--no-git", "--set", "project_name="+name,
		"--set", fmt.Sprintf("app_port=%d", testenv.FreePort(t)))
	if r.code != 0 {
		t.Fatal("new failed")
	}
	dir := filepath.Join(root, name)
	if err := os.Remove(filepath.Join(dir, "mlforge.yaml")); err != nil {
		t.Fatal(err)
	}
	adoptThenRun(t, dir, name, nil)
}
