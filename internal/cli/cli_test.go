package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/templates"
)

type result struct {
	code        int
	out, errOut string
}

// testFactory returns the real dependencies with test streams, working in
// dir; tests replace what they stand in for.
func testFactory(dir string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	f := &Factory{IO: ios, Templates: templates.Embedded, Getwd: func() (string, error) { return dir, nil }, Deploy: deploy.DefaultDeps()}
	return f, out, errOut
}

// run executes a command line in dir with test streams.
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	f, _, _ := testFactory(dir)
	return runWith(t, f, args...)
}

// runWith executes a command line with the factory's dependencies.
func runWith(t testing.TB, f *Factory, args ...string) result {
	t.Helper()
	out, errOut := f.IO.Out.(*bytes.Buffer), f.IO.ErrOut.(*bytes.Buffer)
	out.Reset()
	errOut.Reset()
	code := Run(context.Background(), f, args)
	printed.Add(t, out.String(), errOut.String())
	return result{code, out.String(), errOut.String()}
}

// printed is everything the commands printed, by test: no secret may
// appear in it.
var printed testenv.Printed

// noSecretsPrinted checks, when the test ends, that nothing printed during
// it holds the environment's secrets: the passphrase, its private keys
// (as kept in keyDir) and an ECR token.
func noSecretsPrinted(t *testing.T, passphrase, keyDir, ecrToken string) {
	t.Cleanup(func() {
		secrets := map[string]string{"the passphrase": passphrase, "an ECR token": ecrToken}
		for _, f := range []string{"id_ed25519", "ssh_host_ed25519_key"} {
			b, _ := os.ReadFile(filepath.Join(keyDir, f))
			secrets["the private key "+f] = string(b)
		}
		testenv.NoSecrets(t, printed.Of(t), secrets)
	})
}

func TestExitCodesAndErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args     []string
		code     int
		errOut   string // substring of stderr
		stdoutOK bool   // stdout may be non-empty
	}{
		{[]string{"zzzz"}, 2, "error: unknown command \"zzzz\" for \"mlforge\"\nhint: run 'mlforge --help' to see the commands\n", false},
		{[]string{"lgos"}, 2, "error: unknown command \"lgos\" for \"mlforge\" (did you mean logs?)\n", false},
		{[]string{"version", "--nope"}, 2, "error: unknown flag: --nope\nhint: run 'mlforge version --help' for the flags\n", false},
		{[]string{"new"}, 2, "error: mlforge new takes one argument, the directory to create (got 0 arguments)\nhint: usage: mlforge new <dir> [flags]\n", false},
		{[]string{"new", "x", "--template", "nope"}, 2, "error: --template: no template named \"nope\"", false},
		{[]string{"new", "x", "--set", "oops"}, 2, "error: --set \"oops\": expected key=value\n", false},
		{[]string{"new", "x", "--set", "project_name=Bad"}, 2, "does not match", false},
		{[]string{"templates", "extra"}, 2, "error: mlforge templates takes no arguments (got \"extra\")", false},
		{[]string{"config", "validate"}, 1, "error: no mlforge.yaml found in this directory or any parent\nhint: run this inside a project created by `mlforge new`, or pass --file\n", false},
		{[]string{"status"}, 1, "error: no mlforge.yaml found in this directory or any parent\nhint: run this inside a project created by `mlforge new`\n", false},
		{[]string{"up"}, 1, "hint: run this inside a project created by `mlforge new`\n", false},
		{[]string{"run", "train"}, 1, "hint: run this inside a project created by `mlforge new`\n", false},
		{[]string{"version"}, 0, "", true},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, dir, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tc.code, r.errOut)
			}
			if !strings.Contains(r.errOut, tc.errOut) {
				t.Errorf("stderr %q, want it to contain %q", r.errOut, tc.errOut)
			}
			if strings.Count(r.errOut, "error:") > 1 {
				t.Errorf("error printed more than once: %q", r.errOut)
			}
			if !tc.stdoutOK && r.out != "" {
				t.Errorf("stdout should be empty on error, got %q", r.out)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	r := run(t, t.TempDir(), "version", "--json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.out), &v); err != nil || r.code != 0 {
		t.Fatalf("%v: %q", err, r.out)
	}
	for _, k := range []string{"version", "commit", "goVersion", "platform"} {
		if v[k] == "" {
			t.Errorf("version --json lacks %s: %v", k, v)
		}
	}
}

func TestTemplates(t *testing.T) {
	r := run(t, t.TempDir(), "templates", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) == 0 {
		t.Fatalf("%v: %q", err, r.out)
	}
	names := map[string]bool{}
	for _, m := range list {
		names[m["name"].(string)] = true
		if m["description"] == "" {
			t.Errorf("template %v has no description", m["name"])
		}
	}
	if !names["blank"] {
		t.Errorf("blank missing from %v", names)
	}
	plain := run(t, t.TempDir(), "templates")
	if !strings.HasPrefix(plain.out, "NAME") || !strings.Contains(plain.out, "(default)") {
		t.Errorf("templates table:\n%s", plain.out)
	}
}

func TestNewThenValidate(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, "new", filepath.Join(dir, "proj"), "--template", "blank", "--set", "project_name=taxi-eta",
		"--author-name", "Ada", "--author-email", "ada@example.com")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	for _, want := range []string{"Created ", "from template blank", "Initial commit by Ada <ada@example.com>", "mlforge up"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("new output lacks %q:\n%s", want, r.out)
		}
	}
	v := run(t, filepath.Join(dir, "proj"), "config", "validate")
	if v.code != 0 || !strings.Contains(v.out, "is valid (project taxi-eta, target local)") {
		t.Errorf("validate: %d %q %q", v.code, v.out, v.errOut)
	}
	again := run(t, dir, "new", filepath.Join(dir, "proj"), "--template", "blank")
	if again.code != 1 || !strings.Contains(again.errOut, "is not empty") || !strings.Contains(again.errOut, "hint: nothing was written") {
		t.Errorf("second new: %d %q", again.code, again.errOut)
	}
}

func TestNewJSONNoGit(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, "new", filepath.Join(dir, "p"), "--template", "blank", "--no-git", "--json")
	var res map[string]any
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || r.code != 0 {
		t.Fatalf("%v %q %q", err, r.out, r.errOut)
	}
	if res["committed"] != false || len(res["files"].([]any)) < 5 {
		t.Errorf("result %v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "p", ".git")); !os.IsNotExist(err) {
		t.Error("--no-git created a repository")
	}
}

func TestConfigValidateErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mlforge.yaml"), []byte("project: taxi\naws:\n  instanceType: t3.hug\n  volumSize: 3\n"), 0o644)
	r := run(t, dir, "config", "validate")
	want := "error:\n  mlforge.yaml:3: aws.instanceType: \"t3.hug\" is not a valid EC2 instance type (for example t3.large, m7i.xlarge, g5.xlarge)\n" +
		"  mlforge.yaml:4: aws.volumSize: unknown key (did you mean \"volumeSize\"?)\n"
	if r.code != 1 || !strings.HasPrefix(r.errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant prefix:\n%s", r.code, r.errOut, want)
	}
	j := run(t, dir, "config", "validate", "--json")
	var res validateResult
	if err := json.Unmarshal([]byte(j.out), &res); err != nil || j.code != 1 || j.errOut != "" {
		t.Fatalf("%v code=%d out=%q err=%q", err, j.code, j.out, j.errOut)
	}
	if res.Valid || len(res.Errors) != 2 || res.Errors[0].Line != 3 || res.Errors[1].Path != "aws.volumSize" {
		t.Errorf("json result %+v", res)
	}
}

func TestConfigSchemaAndCompletion(t *testing.T) {
	r := run(t, t.TempDir(), "config", "schema")
	var s map[string]any
	if err := json.Unmarshal([]byte(r.out), &s); err != nil || s["$schema"] == nil {
		t.Errorf("schema: %v", err)
	}
	for shell, marker := range map[string]string{"bash": "__start_mlforge", "zsh": "#compdef mlforge", "fish": "complete -c mlforge"} {
		c := run(t, t.TempDir(), "completion", shell)
		if c.code != 0 || !strings.Contains(c.out, marker) {
			t.Errorf("completion %s: exit %d, no %q", shell, c.code, marker)
		}
	}
}

// On a terminal, variables not given with --set are asked for; a bad
// answer is asked again.
func TestNewPromptsOnATerminal(t *testing.T) {
	dir := t.TempDir()
	ios, in, out, errOut := iostreams.Test()
	ios.SetTTY(true)
	in.WriteString("Bad Name\nmy-app\n\n9000\n")
	f := &Factory{IO: ios, Templates: templates.Embedded, Getwd: func() (string, error) { return dir, nil }, Deploy: deploy.DefaultDeps()}
	code := Run(context.Background(), f, []string{"new", filepath.Join(dir, "proj"), "--template", "blank", "--no-git"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"? project_name", "[proj]", "does not match", "? app_port"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("prompts lack %q:\n%s", want, errOut.String())
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "proj", "mlforge.yaml"))
	if !strings.Contains(string(cfg), "project: my-app") || !strings.Contains(string(cfg), "port: 9000") {
		t.Errorf("answers not used:\n%s\n%s", cfg, out.String())
	}
}
