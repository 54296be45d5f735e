package release

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/testenv"
)

// action is the part of action.yml the tests read.
type action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID               string            `yaml:"id"`
	If               string            `yaml:"if"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Uses             string            `yaml:"uses"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
}

func readAction(t *testing.T) action {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false)
	var a action
	if err := dec.Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

// actionlint does not read action.yml, so its structure is checked here:
// a composite action whose every run step names its shell, whose inputs
// are described, and whose scripts take inputs from the environment only
// (an expression inside a script would be pasted into the shell code).
func TestActionStructure(t *testing.T) {
	a := readAction(t)
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" {
		t.Errorf("name %q, description %q, runs.using %q: want a described composite action", a.Name, a.Description, a.Runs.Using)
	}
	if v := a.Inputs["version"]; !v.Required || v.Default != nil {
		t.Errorf("input version: required %v, default %v; a pinned version must be given", v.Required, v.Default)
	}
	for _, name := range []string{"command", "working-directory", "install-dir", "base-url"} {
		in, ok := a.Inputs[name]
		if !ok || in.Required || in.Default == nil {
			t.Errorf("input %s: present %v, required %v, default %v; want an optional input with a default", name, ok, in.Required, in.Default)
		}
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	if len(a.Runs.Steps) != 2 {
		t.Fatalf("%d steps, want install and run", len(a.Runs.Steps))
	}
	ids := map[string]bool{}
	for i, s := range a.Runs.Steps {
		if s.Run == "" || s.Uses != "" {
			t.Errorf("step %d: want a run step", i)
		}
		if s.Shell != "bash" {
			t.Errorf("step %d: shell %q; every run step of a composite action must name its shell (bash)", i, s.Shell)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %d: an expression inside the script:\n%s", i, s.Run)
		}
		ids[s.ID] = true
	}
	for name, out := range a.Outputs {
		m := regexp.MustCompile(`^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}$`).FindStringSubmatch(out.Value)
		if m == nil || !ids[m[1]] {
			t.Errorf("output %s = %q does not name a step's output", name, out.Value)
		}
	}
}

// The Action's steps, run here as a runner would run them (their
// expressions evaluated, their env set, bash as the runner calls it),
// against the snapshot release on a local server: the install step
// installs the pinned version checksum-verified and the command runs.
func TestActionInstallsAndRuns(t *testing.T) {
	r := snapshot(t)
	srv := serve(t, r.Version, true, releaseFiles(t, r))
	a := readAction(t)
	work := t.TempDir()
	cases := []struct {
		inputs  map[string]string
		wantOut string
	}{
		{map[string]string{"version": r.Version, "command": `config validate --file "my project/mlforge.yaml"`}, "is valid (project demo-app"},
		{map[string]string{"version": "latest", "command": ""}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.inputs["version"], func(t *testing.T) {
			os.MkdirAll(filepath.Join(work, "my project"), 0o755)
			os.WriteFile(filepath.Join(work, "my project", "mlforge.yaml"), []byte("project: demo-app\n"), 0o644)
			inputs := map[string]string{"working-directory": work, "install-dir": "", "base-url": srv.URL}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			rc := &runnerCtx{t: t, inputs: inputs, actionPath: testenv.RepoRoot(t), temp: t.TempDir(), outputs: map[string]map[string]string{}}
			var out strings.Builder
			for _, s := range a.Runs.Steps {
				out.WriteString(rc.runStep(s))
			}
			if got := rc.outputs["install"]["version"]; got != r.Version {
				t.Errorf("output version %q, want %s", got, r.Version)
			}
			bin := rc.outputs["install"]["path"]
			if !strings.HasPrefix(bin, rc.temp) || !strings.Contains(installed(t, bin), r.Version) {
				t.Errorf("output path %q is not the installed binary under the runner's temp dir", bin)
			}
			if path, _ := os.ReadFile(filepath.Join(rc.temp, "GITHUB_PATH")); strings.TrimSpace(string(path)) != filepath.Dir(bin) {
				t.Errorf("GITHUB_PATH = %q, want %s", path, filepath.Dir(bin))
			}
			if !strings.Contains(out.String(), tc.wantOut) || (tc.wantOut == "" && rc.ran != 1) {
				t.Errorf("steps ran %d, output:\n%s\nwant %q", rc.ran, out.String(), tc.wantOut)
			}
		})
	}
}

// runnerCtx runs composite steps the way a GitHub runner does, for the
// expressions action.yml uses; any other expression fails the test.
type runnerCtx struct {
	t          *testing.T
	inputs     map[string]string
	actionPath string
	temp       string
	outputs    map[string]map[string]string
	ran        int
}

var expr = regexp.MustCompile(`\$\{\{ *([^}]*?) *\}\}`)

func (rc *runnerCtx) eval(s string) string {
	return expr.ReplaceAllStringFunc(s, func(m string) string {
		e := expr.FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(e, "inputs."):
			v, ok := rc.inputs[strings.TrimPrefix(e, "inputs.")]
			if !ok {
				rc.t.Fatalf("action.yml uses %s, which the test does not give", e)
			}
			return v
		case e == "github.action_path":
			return rc.actionPath
		case strings.HasPrefix(e, "steps."):
			var id, key string
			if _, err := fmt.Sscanf(strings.ReplaceAll(e, ".", " "), "steps %s outputs %s", &id, &key); err != nil {
				rc.t.Fatalf("expression %q", e)
			}
			return rc.outputs[id][key]
		}
		rc.t.Fatalf("action.yml uses the expression %q, which this runner stand-in does not know", e)
		return ""
	})
}

func (rc *runnerCtx) runStep(s actionStep) string {
	rc.t.Helper()
	switch s.If {
	case "":
	case "inputs.command != ''":
		if rc.inputs["command"] == "" {
			return ""
		}
	default:
		rc.t.Fatalf("step condition %q unknown to the runner stand-in", s.If)
	}
	rc.ran++
	script := filepath.Join(rc.temp, fmt.Sprintf("step%d.sh", rc.ran))
	os.WriteFile(script, []byte(s.Run), 0o644)
	outFile := filepath.Join(rc.temp, fmt.Sprintf("output%d", rc.ran))
	os.WriteFile(outFile, nil, 0o644)
	// The runner's command line for shell: bash.
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = rc.eval(s.WorkingDirectory)
	cmd.Env = append(os.Environ(), "RUNNER_TEMP="+rc.temp, "GITHUB_ACTION_PATH="+rc.actionPath,
		"GITHUB_OUTPUT="+outFile, "GITHUB_PATH="+filepath.Join(rc.temp, "GITHUB_PATH"))
	for k, v := range s.Env {
		cmd.Env = append(cmd.Env, k+"="+rc.eval(v))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		rc.t.Fatalf("step %d failed: %v\n%s", rc.ran, err, out)
	}
	if s.ID != "" {
		f, _ := os.Open(outFile)
		defer f.Close()
		rc.outputs[s.ID] = map[string]string{}
		for sc := bufio.NewScanner(f); sc.Scan(); {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				rc.outputs[s.ID][k] = v
			}
		}
	}
	return string(out)
}
