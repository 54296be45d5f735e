package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/stacktest"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/provision"
)

// workflowStep is a GitHub Actions step as the deploy workflow writes it.
type workflowStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

var expression = regexp.MustCompile(`\$\{\{\s*(secrets|vars)\.([A-Z_]+)\s*\}\}`)

// TestDeployWorkflowAsWritten runs the taxi template's deploy workflow the
// way a runner does: its steps in order, read from the YAML, with the
// workflow's environment (secrets, the OIDC credentials as moto's), twice,
// each time in a fresh checkout and fresh home directories (two runners),
// against one state bucket on moto's S3. The first run creates the
// environment (a test host plays the instance, a strict registry ECR); the
// second must change nothing.
func TestDeployWorkflowAsWritten(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequirePulumi(t)
	for _, img := range []string{"python:3.11-slim", "prom/prometheus:v2.55.1", "prom/pushgateway:v1.10.0"} {
		testenv.RequireImage(t, img)
	}
	endpoint := testenv.Moto(t)
	reg := testenv.Registry(t)
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	ctx := context.Background()
	backend := motoBucket(t, endpoint, "mlft-wf-state")

	// The repository: the taxi template, as `mlforge new` makes it.
	repo := filepath.Join(t.TempDir(), "wf")
	if r := run(t, t.TempDir(), "new", repo, "--set", "project_name=mlft-wf", "--set", "aws_region=eu-west-1", "--no-git"); r.code != 0 {
		t.Fatalf("new: %s", r.errOut)
	}
	setProdForTests(t, repo, backend)
	s3InTheAccount(t, repo, "mlft-wf-prod-artifacts-0123")
	steps := deploySteps(t, repo)

	// The instance: a test host with Docker, reaching the registry here.
	host := sshtest.Start(t, sshtest.Trixie)
	hc, err := sshx.Dial(ctx, host.Options("root"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hc.Close() })
	if _, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: hc}, bootstrap.Options{}, ui.NewPlainStatus(io.Discard)); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	sshtest.ReverseForward(t, hc, reg)
	host.Exec(t, `printf '#!/bin/sh\necho "status: done"\n' > /usr/local/bin/cloud-init && chmod +x /usr/local/bin/cloud-init`)
	repos, err := remote.ComposeRepositories(filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]string{}
	for _, name := range repos {
		urls[name] = reg + "/mlft-wf-prod-" + name
	}
	program := booting{standIn: standIn{instanceID: motoInstance(t, endpoint), port: host.Port, repos: urls}, host: host}
	secrets := map[string]string{"MLFORGE_PASSPHRASE": "wf-passphrase", "GRAFANA_ADMIN_PASSWORD": "wf-grafana", "POSTGRES_PASSWORD": "wf-postgres"}

	first := runWorkflow(t, repo, steps, secrets, endpoint, program)
	before := host.Exec(t, "docker ps -q --no-trunc | sort")
	second := runWorkflow(t, repo, steps, secrets, endpoint, program)
	if after := host.Exec(t, "docker ps -q --no-trunc | sort"); after != before {
		t.Errorf("the second run recreated containers:\n%s\n->\n%s", before, after)
	}
	ok := true
	for _, want := range []string{"no changes", "- Docker and Compose on the host", "- record the host key in the state", "- serve a model"} {
		if !strings.Contains(second, want) {
			ok = false
			t.Errorf("the second run changed something: its progress lacks %q", want)
		}
	}
	for _, changed := range []string{"✓ replace the first-boot host key", "building "} {
		if strings.Contains(second, changed) {
			ok = false
			t.Errorf("the second run did %q", changed)
		}
	}
	if !ok {
		t.Logf("the second run printed:\n%s", second)
	}
	if !strings.Contains(first, "✓ serve a model") {
		t.Errorf("the first run served no model")
	}
}

// setProdForTests points environments.prod at the moto backend, names the
// SSH networks (the caller's address cannot be looked up here) and leaves
// out Grafana (no registry serves its image here).
func setProdForTests(t *testing.T, repo, backend string) {
	t.Helper()
	path := filepath.Join(repo, "mlforge.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^      backend: s3://.*$`).ReplaceAllString(string(b),
		fmt.Sprintf("      backend: %q\n      sshCidrs: [203.0.113.7/32]", backend))
	s = strings.Replace(s, "    title: Grafana\n", "    title: Grafana\n    skip: true\n", 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// s3InTheAccount stands in for the account's S3 where the instance's
// containers reach it: a moto server beside the stack on the host, holding
// the environment's bucket, and MLflow's S3 client pointed at it (on AWS
// the instance role and S3 itself do this).
func s3InTheAccount(t *testing.T, repo, bucket string) {
	t.Helper()
	testenv.RequireImage(t, stacktest.S3Image)
	editServices(t, repo, func(services *yaml.Node) {
		mlflowS3Client(t, services, "http://s3:5000")
		var s3 yaml.Node
		if err := yaml.Unmarshal([]byte(`image: `+stacktest.S3Image+`
entrypoint: ["sh", "-c", "moto_server -H 0.0.0.0 -p 5000 & until python -c \"import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:5000/`+bucket+`', method='PUT'))\" 2>/dev/null; do sleep 1; done; wait"]
`), &s3); err != nil {
			t.Fatal(err)
		}
		services.Content = append(services.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "s3"}, s3.Content[0])
	})
}

// mlflowS3Client points the MLflow server's S3 client at endpoint, with
// moto's credentials.
func mlflowS3Client(t *testing.T, services *yaml.Node, endpoint string) {
	t.Helper()
	env := mappingValue(t, mappingValue(t, services, "mlflow"), "environment")
	for _, kv := range [][2]string{{"MLFLOW_S3_ENDPOINT_URL", endpoint}, {"AWS_ACCESS_KEY_ID", "testing"}, {"AWS_SECRET_ACCESS_KEY", "testing"}} {
		env.Content = append(env.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[1]})
	}
}

// editServices rewrites the services of the project's compose file with edit.
func editServices(t *testing.T, repo string, edit func(services *yaml.Node)) {
	t.Helper()
	path := filepath.Join(repo, "docker-compose.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	edit(mappingValue(t, doc.Content[0], "services"))
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mappingValue is the value of key in a YAML mapping node.
func mappingValue(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf("no %q in the compose file", key)
	return nil
}

// deploySteps reads the deploy workflow's steps.
func deploySteps(t *testing.T, repo string) []workflowStep {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, ".github", "workflows", "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []workflowStep `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if len(wf.Jobs["deploy"].Steps) == 0 {
		t.Fatal("the deploy workflow has no deploy job steps")
	}
	return wf.Jobs["deploy"].Steps
}

// runWorkflow runs the steps in a fresh checkout and home directories, and
// returns what the deploy step printed.
func runWorkflow(t *testing.T, repo string, steps []workflowStep, secrets map[string]string, endpoint string, program booting) string {
	t.Helper()
	checkout := filepath.Join(t.TempDir(), "checkout")
	if out, err := exec.Command("cp", "-a", repo, checkout).CombinedOutput(); err != nil {
		t.Fatalf("checkout: %v %s", err, out)
	}
	env := map[string]string{"CI": "true", "GITHUB_ACTIONS": "true"}
	printed := ""
	for _, s := range steps {
		stepEnv := map[string]string{}
		for k, v := range env {
			stepEnv[k] = v
		}
		for k, v := range s.Env {
			stepEnv[k] = expression.ReplaceAllStringFunc(v, func(e string) string { return secrets[expression.FindStringSubmatch(e)[2]] })
		}
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
		case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
			// The role is assumed through OIDC on GitHub; moto's keys here.
			env["AWS_REGION"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = s.With["aws-region"], "testing", "testing"
		case s.Run != "":
			cmd := exec.Command("bash", "-e", "-c", s.Run)
			cmd.Dir = checkout
			cmd.Env = os.Environ()
			for k, v := range stepEnv {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("step %q: %v\n%s", s.Name, err, out)
			}
		case strings.HasPrefix(s.Uses, "mlforge/mlforge@"):
			f, _ := machine(t, checkout, endpoint, program.standIn)
			f.Deploy.Program = program.program
			getenv := f.Deploy.Getenv
			f.Deploy.Getenv = func(k string) string {
				if v, ok := stepEnv[k]; ok {
					return v
				}
				return getenv(k)
			}
			r := runWith(t, f, strings.Fields(s.With["command"])...)
			if r.code != 0 {
				logs, _ := program.host.TryExec("for c in $(docker ps -aq --filter name=mlflow --filter name=s3); do docker inspect -f '{{.Name}}' $c; docker logs --tail 25 $c 2>&1 | tr -cd '[:print:]\\n'; done")
				t.Fatalf("step %q (mlforge %s): exit %d\n%s\nthe host's containers:\n%s", s.Name, s.With["command"], r.code, r.errOut, logs)
			}
			printed = r.errOut
		default:
			t.Fatalf("step %q uses %s, which this test does not know how to run", s.Name, s.Uses)
		}
	}
	return printed
}

// booting is the stand-in program plus what cloud-init does at the
// instance's first boot: install the pinned host key and the login key the
// environment generated.
type booting struct {
	standIn
	host *sshtest.Host
}

func (b booting) program(s *provision.AWSSetup) pulumi.RunFunc {
	inner := b.standIn.program(s)
	return func(ctx *pulumi.Context) error {
		if k := s.Stack.Keys; k != nil && k.HostRotatedFor == "" {
			if out, err := b.host.TryExec("grep -qF '" + strings.Fields(k.LoginPublic)[1] + "' /root/.ssh/authorized_keys || echo '" + k.LoginPublic + "' >> /root/.ssh/authorized_keys"); err != nil {
				return fmt.Errorf("first boot: %v %s", err, out)
			}
			script := "umask 077; cat > /etc/ssh/ssh_host_ed25519_key <<'EOF'\n" + strings.TrimSpace(k.HostPrivate) + "\nEOF\n" +
				"ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub && kill -HUP 1"
			if out, err := b.host.TryExec(script); err != nil {
				return fmt.Errorf("first boot: %v %s", err, out)
			}
		}
		return inner(ctx)
	}
}
