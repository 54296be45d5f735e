package templates

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// testCatalog is a small in-memory catalog for the scaffolder's edge cases.
func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	fsys := fstest.MapFS{
		"demo/template.yaml": {Data: []byte(`name: demo
description: test template
variables:
  - {name: project_name, type: string, default: "[[ .dir_name ]]", pattern: "^[a-z][a-z0-9-]*$"}
  - {name: sub, type: string, default: "pkg"}
  - {name: port, type: int, default: "8000"}
  - {name: tls, type: bool, default: "false"}
  - {name: db, type: choice, choices: [sqlite, postgres], default: sqlite}
executable: [run.sh]
private: [.env]
`)},
		"demo/run.sh":                       {Data: []byte("#!/bin/sh\necho [[ .project_name ]]\n")},
		"demo/.env.tmpl":                    {Data: []byte("PASSWORD=[[ secret 8 ]]\n")},
		"demo/.gitignore":                   {Data: []byte(".env\n")},
		"demo/[[ .sub ]]/conf.tmpl":         {Data: []byte("port=[[ .port ]] tls=[[ .tls ]] db=[[ .db ]]\n")},
		"demo/.ruff_cache/CACHEDIR.TAG":     {Data: []byte("Signature: 8a477f597d28d172789f06886806bc55\n")},
		"demo/[[ .sub ]]/__pycache__/x.pyc": {Data: []byte{0xa7, 0x0d}},
		"broken/template.yaml":              {Data: []byte("name: broken\ndescription: x\n")},
		"broken/a.txt":                      {Data: []byte("fine\n")},
		"broken/b.tmpl":                     {Data: []byte("[[ .nope ]]\n")},
	}
	cat, err := Open(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func render(t *testing.T, cat *Catalog, name string, sets map[string]string) []File {
	t.Helper()
	return renderIn(t, cat, name, sets, "My Project")
}

func TestWriteAndCommitReadableByGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git binary not installed")
	}
	cat := testCatalog(t)
	dir := filepath.Join(t.TempDir(), "proj")
	author := &Author{Name: "Ada Lovelace", Email: "ada@example.com", When: time.Unix(1700000000, 0)}
	if err := Write(dir, render(t, cat, "demo", map[string]string{"sub": "svc"}), WriteOptions{Git: true, Author: author}); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		cmd := exec.Command(gitBin, append([]string{"-C", dir}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := git("log", "--format=%an <%ae>|%s"); got != "Ada Lovelace <ada@example.com>|Initial commit from mlforge" {
		t.Errorf("git log: %q", got)
	}
	git("fsck", "--strict")
	if got := git("ls-files", "-s"); !strings.Contains(got, "100755") || !strings.Contains(got, "run.sh") || strings.Contains(got, ".env\n") {
		t.Errorf("git ls-files:\n%s", got)
	}
	if got := git("ls-files"); got != ".gitignore\nrun.sh\nsvc/conf" {
		t.Errorf("committed files:\n%s\nwant .gitignore, run.sh, svc/conf (not the private .env)", got)
	}
	if got := git("status", "--porcelain"); got != "" {
		t.Errorf("worktree not clean after the commit:\n%s", got)
	}
	if got := git("branch", "--show-current"); got != "main" {
		t.Errorf("branch %q, want main", got)
	}
	for path, mode := range map[string]os.FileMode{"run.sh": 0o755, ".env": 0o600, "svc/conf": 0o644, ".": 0o755 | os.ModeDir} {
		info, err := os.Stat(filepath.Join(dir, path))
		if err != nil || info.Mode() != mode {
			t.Errorf("%s: mode %v, want %v (%v)", path, info.Mode(), mode, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "svc", "conf")); string(b) != "port=8000 tls=false db=sqlite\n" {
		t.Errorf("conf = %q", b)
	}
}

func TestWriteRefusals(t *testing.T) {
	cat := testCatalog(t)
	files := render(t, cat, "demo", nil)

	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "keep.txt"), []byte("mine"), 0o644)
	err := Write(nonEmpty, files, WriteOptions{})
	wantErr(t, err, "is not empty (1 entries): choose a new directory, or pass --force")
	assertEntries(t, nonEmpty, "keep.txt")

	if err := Write(nonEmpty, files, WriteOptions{Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	assertEntries(t, nonEmpty, ".env", ".gitignore", "keep.txt", "pkg", "run.sh")

	repo := t.TempDir()
	os.Mkdir(filepath.Join(repo, ".git"), 0o755)
	wantErr(t, Write(repo, files, WriteOptions{Force: true, Git: true}), "is already a git repository: pass --no-git")

	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	wantErr(t, Write(file, files, WriteOptions{}), "exists and is not a directory")
}

// A symlink already in the target must not carry a write outside it.
func TestWriteDoesNotFollowSymlinksOut(t *testing.T) {
	cat := testCatalog(t)
	outside := t.TempDir()
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "pkg")); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, render(t, cat, "demo", nil), WriteOptions{Force: true})
	if err == nil {
		t.Fatal("writing through a symlink that leaves the directory succeeded")
	}
	wantErr(t, err, "pkg in "+dir+" is a symbolic link: refusing to write through it")
	assertEntries(t, outside)

	// A symlink where a file goes is replaced, never written through.
	target := filepath.Join(outside, "victim")
	os.WriteFile(target, []byte("precious"), 0o644)
	dir2 := t.TempDir()
	os.Symlink(target, filepath.Join(dir2, "run.sh"))
	if err := Write(dir2, render(t, cat, "demo", nil), WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("file outside the project was overwritten: %q", b)
	}
}

func TestRenderFailureWritesNothing(t *testing.T) {
	cat := testCatalog(t)
	m, _ := cat.Get("broken")
	vars, _ := ResolveVars(m, nil, "x", nil)
	_, err := cat.Render("broken", vars, RenderOptions{})
	wantErr(t, err, `map has no entry for key "nope"`)

	// A write that fails half-way (a file where a directory must go) leaves
	// neither the target nor a staging directory behind.
	parent := t.TempDir()
	files := []File{{Path: "a", Data: []byte("x"), Mode: 0o644}, {Path: "a/b", Data: []byte("y"), Mode: 0o644}}
	if err := Write(filepath.Join(parent, "proj"), files, WriteOptions{}); err == nil {
		t.Fatal("conflicting paths were written")
	}
	assertEntries(t, parent)
}

func TestVariables(t *testing.T) {
	cat := testCatalog(t)
	m, _ := cat.Get("demo")
	cases := []struct {
		sets map[string]string
		want string
	}{
		{map[string]string{"nope": "1"}, "--set nope: template demo has no such variable (variables: project_name, sub, port, tls, db)"},
		{map[string]string{"project_name": "Bad Name"}, `--set project_name: variable project_name: "Bad Name" does not match ^[a-z][a-z0-9-]*$`},
		{map[string]string{"port": "eighty"}, `--set port: variable port: "eighty" is not a whole number`},
		{map[string]string{"tls": "maybe"}, `--set tls: variable tls: "maybe" is not true or false`},
		{map[string]string{"db": "mysql"}, `--set db: variable db: "mysql" is not one of sqlite, postgres`},
		{map[string]string{"sub": "a\nb"}, `--set sub: variable sub: value must be a single line`},
	}
	for _, tc := range cases {
		_, err := ResolveVars(m, tc.sets, "x", nil)
		wantErr(t, err, tc.want)
	}
	vars, err := ResolveVars(m, nil, "My Project!", nil)
	if err != nil || vars["project_name"] != "my-project" || vars["port"] != 8000 || vars["tls"] != false {
		t.Errorf("defaults: %v, %v", vars, err)
	}
	if _, err := ParseSets([]string{"a=1", "a=2"}); err == nil {
		t.Error("duplicate --set accepted")
	}
	if _, err := ParseSets([]string{"novalue"}); err == nil {
		t.Error("--set without = accepted")
	}
}

// Variables land in paths: a value that would climb out is refused.
func TestPathVariablesCannotEscape(t *testing.T) {
	cat := testCatalog(t)
	for _, sub := range []string{"../evil", "/etc", "a/../../b", ".git/hooks", "."} {
		m, _ := cat.Get("demo")
		vars, err := ResolveVars(m, map[string]string{"sub": sub}, "x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Render("demo", vars, RenderOptions{}); err == nil {
			t.Errorf("sub=%q rendered", sub)
		}
	}
}

func TestResolveAuthor(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	if a := ResolveAuthor("", ""); a.Source != "default" && a.Source != "git config" {
		t.Errorf("no config: %+v", a)
	}
	if a := ResolveAuthor("Grace", "grace@example.com"); a.Source != "flags" || a.Name != "Grace" {
		t.Errorf("flags: %+v", a)
	}
	os.WriteFile(filepath.Join(os.Getenv("HOME"), ".gitconfig"), []byte("[user]\n\tname = Linus\n\temail = l@example.com\n"), 0o644)
	if a := ResolveAuthor("", ""); a.Name != "Linus" || a.Source != "git config" {
		t.Errorf("git config: %+v", a)
	}
	if a := ResolveAuthor("", "other@example.com"); a.Name != "Linus" || a.Email != "other@example.com" {
		t.Errorf("flag over config: %+v", a)
	}
}

func TestDevcontainerSchemaRejects(t *testing.T) {
	var doc any = map[string]any{"image": 3, "forwardPorts": "all"}
	if err := devcontainerSchema(t).Validate(doc); err == nil {
		t.Error("the schema accepted an invalid devcontainer.json: validation is not working")
	}
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Errorf("error %v, want one containing %q", err, substr)
	}
}

func assertEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}

func TestDirDefault(t *testing.T) {
	for in, want := range map[string]string{
		"taxi": "taxi", "My Project!": "my-project", "x": "x-project", "42": "project-42", "": "project",
		"a_very_long_directory_name_that_goes_on_and_on_forever": "a-very-long-directory-name-that-goes-on",
	} {
		if got := DirDefault(in); got != want {
			t.Errorf("DirDefault(%q) = %q, want %q", in, got, want)
		}
	}
}

// Caches that tools leave in a template folder are never rendered.
func TestToolCachesAreNotTemplateFiles(t *testing.T) {
	for _, f := range render(t, testCatalog(t), "demo", nil) {
		if strings.Contains(f.Path, ".ruff_cache") || strings.Contains(f.Path, "__pycache__") {
			t.Errorf("rendered %s", f.Path)
		}
	}
}

// --force into a directory where the template's file exists as a
// directory fails before anything moves: the directory is as it was, and
// "nothing was written" is true.
func TestForceLeavesTheDirectoryAsItWasOnAConflict(t *testing.T) {
	cat := testCatalog(t)
	files := render(t, cat, "demo", nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	conflict := filepath.Join(dir, files[len(files)-1].Path)
	if err := os.MkdirAll(filepath.Join(conflict, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err := Write(dir, files, WriteOptions{Force: true})
	wantErr(t, err, "exists in "+dir+" as a directory, where the template has a file")
	if after := tree(t, dir); after != before {
		t.Errorf("the directory changed:\nbefore %s\nafter  %s", before, after)
	}
}

// tree lists a directory's entries and file contents, for comparison.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data := ""
		if d.Type().IsRegular() {
			raw, _ := os.ReadFile(p)
			data = string(raw)
		}
		fmt.Fprintf(&b, "%s=%q;", rel, data)
		return nil
	})
	return b.String()
}
