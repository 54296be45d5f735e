package templates

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/config"
)

// --ci picks which CI system's files are rendered, and only those.
func TestCIChoiceRendersOnlyItsFiles(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ci         string
		want, none []string
	}{
		{"github", []string{".github/workflows/ci.yml", ".github/workflows/deploy.yml", ".github/workflows/infra-drift.yml"}, []string{".gitlab-ci.yml"}},
		{"gitlab", []string{".gitlab-ci.yml"}, []string{".github/workflows/ci.yml", ".github/workflows/deploy.yml"}},
		{"none", nil, []string{".gitlab-ci.yml", ".github/workflows/ci.yml", ".github/workflows/deploy.yml", ".github/workflows/infra-drift.yml"}},
	}
	for _, tc := range cases {
		t.Run(tc.ci, func(t *testing.T) {
			m, _ := cat.Get("taxi-duration")
			sets := map[string]string{}
			if err := SetCI(m, sets, tc.ci); err != nil {
				t.Fatal(err)
			}
			byPath := map[string]File{}
			for _, f := range renderIn(t, cat, "taxi-duration", sets, "demo") {
				byPath[f.Path] = f
			}
			for _, p := range tc.want {
				if _, ok := byPath[p]; !ok {
					t.Errorf("--ci %s: %s not rendered", tc.ci, p)
				}
			}
			for _, p := range tc.none {
				if _, ok := byPath[p]; ok {
					t.Errorf("--ci %s: %s rendered", tc.ci, p)
				}
			}
			readme := string(byPath["README.md"].Data)
			if mentions := strings.Contains(readme, ".gitlab-ci.yml"); mentions != (tc.ci == "gitlab") {
				t.Errorf("--ci %s: README mentions .gitlab-ci.yml: %v", tc.ci, mentions)
			}
			if mentions := strings.Contains(readme, ".github/workflows"); mentions != (tc.ci == "github") {
				t.Errorf("--ci %s: README mentions .github/workflows: %v", tc.ci, mentions)
			}
		})
	}
}

func TestSetCI(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	taxi, _ := cat.Get("taxi-duration")
	blank, _ := cat.Get("blank")
	cases := []struct {
		m       *Manifest
		ci      string
		sets    map[string]string
		want    string // the ci variable afterwards, or the error
		wantErr bool
	}{
		{taxi, "", map[string]string{}, "", false},
		{taxi, "gitlab", map[string]string{}, "gitlab", false},
		{taxi, "gitlab", map[string]string{"ci": "gitlab"}, "gitlab", false},
		{taxi, "jenkins", map[string]string{}, `--ci: "jenkins" is not one of github, gitlab, none`, true},
		{taxi, "none", map[string]string{"ci": "github"}, "--ci none and --set ci=github disagree: give one of them", true},
		{blank, "none", map[string]string{}, "", false},
		{blank, "gitlab", map[string]string{}, "--ci gitlab: template blank has no CI files (only --ci none applies to it)", true},
	}
	for _, tc := range cases {
		err := SetCI(tc.m, tc.sets, tc.ci)
		switch {
		case tc.wantErr:
			wantErr(t, err, tc.want)
		case err != nil:
			t.Errorf("SetCI(%s, %q): %v", tc.m.Name, tc.ci, err)
		case tc.sets["ci"] != tc.want:
			t.Errorf("SetCI(%s, %q): ci=%q, want %q", tc.m.Name, tc.ci, tc.sets["ci"], tc.want)
		}
	}
}

// A condition that could never hold, or that names no variable, is a
// broken template: refused when the catalog is read.
func TestConditionsAreChecked(t *testing.T) {
	base := "name: demo\ndescription: d\nvariables:\n  - {name: ci, type: choice, choices: [a, b], default: a}\n"
	for only, want := range map[string]string{
		"only:\n  - {paths: [x], var: nope, equals: a}\n": `only: variable "nope" is not declared`,
		"only:\n  - {paths: [x], var: ci, equals: c}\n":   `only: "c" is not one of the choices of ci (a, b)`,
		"only:\n  - {var: ci, equals: a}\n":               "only: the condition on ci names no paths",
	} {
		_, err := parseManifest(mapFS("demo/template.yaml", base+only), "demo")
		wantErr(t, err, want)
	}
}

// Generated projects pin the mlforge they install to the release that
// generated them; a development build points at the latest release.
func TestReleaseVars(t *testing.T) {
	for version, want := range map[string][2]string{
		"v1.4.2": {"v1.4.2", "v1.4.2"}, "dev": {"latest", "main"}, "v1.4.2-rc.1": {"latest", "main"},
		"v0.0.0-20260101000000-abcdef012345": {"latest", "main"},
	} {
		got := releaseVars(version)
		if got["mlforge_version"] != want[0] || got["mlforge_ref"] != want[1] {
			t.Errorf("releaseVars(%q) = %v, want %v", version, got, want)
		}
	}
}

// The GitLab pipeline must be valid per GitLab's CI JSON schema, and do
// what the GitHub workflows do: lint and tests, image builds, a deploy of
// environment prod through an OIDC role with one deploy at a time, and a
// scheduled infrastructure check.
func TestGitLabPipeline(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	files := renderIn(t, cat, "taxi-duration", map[string]string{"ci": "gitlab", "aws_region": "eu-west-1"}, "demo")
	data := fileData(t, files, ".gitlab-ci.yml")
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if err := gitlabSchema(t).Validate(jsonCompatible(doc)); err != nil {
		t.Fatalf(".gitlab-ci.yml does not match GitLab's CI schema: %v", err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	p := struct {
		Variables map[string]string
		Jobs      map[string]glJob
	}{Jobs: map[string]glJob{}}
	for key, node := range top {
		var err error
		switch key {
		case "stages", "workflow":
		case "variables":
			err = node.Decode(&p.Variables)
		default:
			var j glJob
			err = node.Decode(&j)
			p.Jobs[key] = j
		}
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	aws := p.Jobs[".aws"]
	if aws.IDTokens["AWS_ID_TOKEN"]["aud"] != "sts.amazonaws.com" || aws.Variables["AWS_WEB_IDENTITY_TOKEN_FILE"] == "" {
		t.Errorf(".aws: id_tokens %v, variables %v: want an STS-audience ID token written to AWS_WEB_IDENTITY_TOKEN_FILE", aws.IDTokens, aws.Variables)
	}
	if !hasLine(aws.BeforeScript, `(umask 077 && printf '%s' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE")`) ||
		!hasLine(aws.BeforeScript, `sh /tmp/install-mlforge.sh --version "$MLFORGE_VERSION" --dir /usr/local/bin`) {
		t.Errorf(".aws before_script does not write the token and install mlforge through install.sh: %q", aws.BeforeScript)
	}
	if p.Variables["AWS_REGION"] != "eu-west-1" || p.Variables["MLFORGE_VERSION"] != "latest" ||
		p.Variables["MLFORGE_INSTALL"] != "https://github.com/mlforge/mlforge/releases/latest/download/install.sh" {
		t.Errorf("variables: %v", p.Variables)
	}
	checks := []struct {
		job, script, group, env, rule string
		extends                       []string
	}{
		{"lint", "ruff check .", "", "", `$CI_PIPELINE_SOURCE != "schedule"`, []string{".python"}},
		{"test", "pytest", "", "", `$CI_PIPELINE_SOURCE != "schedule"`, []string{".python"}},
		{"images", "docker compose --profile jobs build", "", "", `$CI_PIPELINE_SOURCE != "schedule"`, []string{".docker"}},
		{"deploy", "mlforge up --env prod --yes", "prod", "prod", `$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "schedule"`, []string{".docker", ".aws"}},
		{"infra-drift", "mlforge preview --env prod --expect-no-changes", "prod", "", `$CI_PIPELINE_SOURCE == "schedule" && $MLFORGE_CHECK == "infra"`, []string{".aws"}},
	}
	for _, c := range checks {
		j, ok := p.Jobs[c.job]
		if !ok {
			t.Errorf("no job %s", c.job)
			continue
		}
		rules := j.Rules
		if len(rules) == 0 && len(c.extends) > 0 {
			rules = p.Jobs[c.extends[0]].Rules
		}
		if !hasLine(j.Script, c.script) || j.ResourceGroup != c.group || j.Environment.Name != c.env ||
			len(rules) != 1 || rules[0].If != c.rule || !slices.Equal(j.Extends, c.extends) {
			t.Errorf("job %s: %+v (rules %+v); want script %q, resource_group %q, environment %q, rule %q, extends %v",
				c.job, j, rules, c.script, c.group, c.env, c.rule, c.extends)
		}
	}
	cfg, err := config.Parse(config.FileName, fileData(t, files, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	checkProdEnvironment(t, cfg)
}

// glJob is the part of a GitLab job the test reads.
type glJob struct {
	Extends       stringList                   `yaml:"extends"`
	Script        []string                     `yaml:"script"`
	BeforeScript  []string                     `yaml:"before_script"`
	Variables     map[string]string            `yaml:"variables"`
	IDTokens      map[string]map[string]string `yaml:"id_tokens"`
	ResourceGroup string                       `yaml:"resource_group"`
	Environment   struct{ Name string }        `yaml:"environment"`
	Rules         []struct{ If string }        `yaml:"rules"`
}

// stringList reads a YAML string or list of strings.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = []string{n.Value}
		return nil
	}
	var l []string
	err := n.Decode(&l)
	*s = l
	return err
}

// checkProdEnvironment: CI deploys environment prod, on AWS, with its
// state in S3 so every runner and teammate sees the same environment.
func checkProdEnvironment(t *testing.T, cfg *config.Config) {
	t.Helper()
	prod, err := cfg.Resolve("prod")
	if err != nil {
		t.Fatal(err)
	}
	if prod.Target != "aws" || !strings.HasPrefix(prod.AWS.Backend, "s3://demo-mlforge-state?region=") {
		t.Errorf("environment prod: target %q, backend %q; want aws and the project's S3 state bucket", prod.Target, prod.AWS.Backend)
	}
	if dev, _ := cfg.Resolve(""); dev.Target != "local" || dev.AWS.Backend != "" {
		t.Errorf("the default environment changed: target %q, backend %q", dev.Target, dev.AWS.Backend)
	}
}

func hasLine(lines []string, want string) bool { return slices.Contains(lines, want) }

func fileData(t *testing.T, files []File, p string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Path == p {
			return f.Data
		}
	}
	t.Fatalf("%s not rendered", p)
	return nil
}

func gitlabSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gitlab-ci.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("gitlab-ci.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("gitlab-ci.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The vendored schema must reject what GitLab rejects, or the check above
// proves nothing.
func TestGitLabSchemaRejects(t *testing.T) {
	s := gitlabSchema(t)
	for name, doc := range map[string]string{
		"unknown job key":       "job:\n  script: [x]\n  scrpit: [y]\n",
		"resource_group a list": "job:\n  script: [x]\n  resource_group: [prod]\n",
		"id_tokens without aud": "job:\n  script: [x]\n  id_tokens:\n    T: {}\n",
		"stage not a string":    "job:\n  script: [x]\n  stage: {a: 1}\n",
	} {
		var v map[string]any
		if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(jsonCompatible(v)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// jsonCompatible turns YAML-decoded values into what the schema validator
// expects (float64 numbers).
func jsonCompatible(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = jsonCompatible(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonCompatible(e)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

func mapFS(name, data string) fstest.MapFS { return fstest.MapFS{name: {Data: []byte(data)}} }

// ghWorkflow is the part of a GitHub workflow the test reads.
type ghWorkflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Environment string `yaml:"environment"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// The deploy workflows install a pinned mlforge through the Action (no Go
// toolchain), assume the OIDC role, pass the passphrase from a secret, and
// run one at a time per environment; the environment's state backend is
// in mlforge.yaml.
func TestGitHubDeployWorkflows(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	files := renderIn(t, cat, "taxi-duration", map[string]string{"aws_region": "eu-west-1"}, "demo")
	for file, command := range map[string]string{
		".github/workflows/deploy.yml":      "up --env prod --yes",
		".github/workflows/infra-drift.yml": "preview --env prod --expect-no-changes",
	} {
		var w ghWorkflow
		if err := yaml.Unmarshal(fileData(t, files, file), &w); err != nil {
			t.Fatal(err)
		}
		if w.Permissions["id-token"] != "write" {
			t.Errorf("%s: permissions %v: the OIDC role needs id-token: write", file, w.Permissions)
		}
		if len(w.Jobs) != 1 {
			t.Fatalf("%s: %d jobs, want 1", file, len(w.Jobs))
		}
		for name, j := range w.Jobs {
			if j.Environment != "prod" || j.Concurrency.Group != "deploy-prod" || j.Concurrency.CancelInProgress {
				t.Errorf("%s: job %s: environment %q, concurrency %+v; want prod, group deploy-prod, never cancelled",
					file, name, j.Environment, j.Concurrency)
			}
			var role, action bool
			for _, s := range j.Steps {
				if strings.Contains(s.Run, "go install") || strings.Contains(s.Uses, "setup-go") {
					t.Errorf("%s: a step builds mlforge from source: %+v", file, s)
				}
				if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					role = s.With["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}" && s.With["aws-region"] == "eu-west-1"
				}
				if s.Uses == "mlforge/mlforge@main" {
					action = s.With["version"] == "latest" && s.With["command"] == command &&
						s.Env["MLFORGE_PASSPHRASE"] == "${{ secrets.MLFORGE_PASSPHRASE }}"
					if !role {
						t.Errorf("%s: mlforge runs before the AWS role is assumed", file)
					}
				}
			}
			if !role || !action {
				t.Errorf("%s: OIDC role step ok=%v, mlforge Action step (version latest, command %q, passphrase secret) ok=%v",
					file, role, command, action)
			}
		}
	}
	cfg, err := config.Parse(config.FileName, fileData(t, files, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	checkProdEnvironment(t, cfg)
}
