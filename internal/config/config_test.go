package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/sshx"
)

const minimal = "project: taxi\n"

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse("mlforge.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"version":          {cfg.Version, 1},
		"target":           {cfg.Target, "local"},
		"compose.file":     {cfg.Compose.File, "docker-compose.yml"},
		"compose.envFile":  {cfg.Compose.EnvFile, ".env"},
		"aws.region":       {cfg.AWS.Region, "us-east-1"},
		"aws.instanceType": {cfg.AWS.InstanceType, "t3.large"},
		"aws.volumeSize":   {cfg.AWS.VolumeSize, 50},
		"aws.sshUser":      {cfg.AWS.SSHUser, "ubuntu"},
		"aws.keepImages":   {cfg.AWS.KeepImages, 10},
		"composeProject":   {cfg.ComposeProject(), "taxi"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
}

func TestParseFull(t *testing.T) {
	doc := `
version: 1
project: taxi-eta
target: ssh
compose: {file: deploy/compose.yml, project: taxi}
services:
  serve: {role: model, port: 9696, portEnv: SERVE_PORT, health: /health, title: Model server}
  mlflow: {role: tracking, port: 5000}
jobs:
  train: {service: train, runOnUp: true}
ssh: {host: "ubuntu@10.0.0.5:2222", identity: ~/.ssh/id_ed25519}
aws:
  region: eu-west-1
  instanceType: g5.xlarge
  spot: true
  sshCidrs: [203.0.113.7/32]
environments:
  dev: {}
  prod:
    target: aws
    aws: {instanceType: m7i.2xlarge, volumeSize: 200}
`
	cfg, err := Parse("mlforge.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Services["serve"].Port != 9696 || !cfg.Jobs["train"].RunOnUp || cfg.ComposeProject() != "taxi" {
		t.Errorf("decoded %+v", cfg)
	}
	prod, err := cfg.Resolve("prod")
	if err != nil {
		t.Fatal(err)
	}
	if prod.Target != "aws" || prod.AWS.InstanceType != "m7i.2xlarge" || prod.AWS.VolumeSize != 200 ||
		prod.AWS.Region != "eu-west-1" || !prod.AWS.Spot {
		t.Errorf("prod resolved to %+v", prod.AWS)
	}
	if cfg.AWS.InstanceType != "g5.xlarge" {
		t.Error("Resolve changed the base configuration")
	}
	dev, err := cfg.Resolve("")
	if err != nil || dev.Env != "dev" || dev.Target != "ssh" {
		t.Errorf("default env: %+v, %v", dev, err)
	}
	if _, err := cfg.Resolve("staging"); err == nil || !strings.Contains(err.Error(), `"staging" is not declared`) {
		t.Errorf("undeclared env: %v", err)
	}
	if h, _ := sshx.Parse(cfg.SSH.Host); h.Port != 2222 || h.User != "ubuntu" || h.Addr != "10.0.0.5" {
		t.Errorf("host %+v", h)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string // each a full error line
	}{
		{"issue example", "project: taxi\ntarget: aws\naws:\n  instanceType: t3.hug\n",
			[]string{`mlforge.yaml:4: aws.instanceType: "t3.hug" is not a valid EC2 instance type (for example t3.large, m7i.xlarge, g5.xlarge)`}},
		{"unknown key with suggestion", "project: taxi\naws:\n  volumSize: 3\n",
			[]string{`mlforge.yaml:3: aws.volumSize: unknown key (did you mean "volumeSize"?)`}},
		{"unknown top-level key", "project: taxi\nzzzzzzzz: 1\n",
			[]string{`mlforge.yaml:2: zzzzzzzz: unknown key (known keys: aws, compose, environments, jobs, project, services, ssh, swarm, target, template, version)`}},
		{"missing project", "target: local\n",
			[]string{`mlforge.yaml:1: project: required key is missing`}},
		{"bad target", "project: taxi\ntarget: k8s\n",
			[]string{`mlforge.yaml:2: target: "k8s" is not one of local, ssh, aws, swarm`}},
		{"bad project name", "project: Taxi_App\n",
			[]string{`mlforge.yaml:1: project: "Taxi_App" is not a valid name: use 2-40 lower-case letters, digits and dashes, starting with a letter`}},
		{"port out of range", "project: taxi\nservices:\n  serve: {port: 70000}\n",
			[]string{`mlforge.yaml:3: services.serve.port: 70000 is above the maximum 65535`}},
		{"port not a number", "project: taxi\nservices:\n  serve: {port: high}\n",
			[]string{`mlforge.yaml:3: services.serve.port: expected a whole number, got "high"`}},
		{"duplicate ports", "project: taxi\nservices:\n  a1: {port: 80}\n  b1: {port: 80}\n",
			[]string{`mlforge.yaml:4: services.b1.port: port 80 is also used by services.a1.port: give each service its own port`}},
		{"open ssh cidr", "project: taxi\naws:\n  sshCidrs: [0.0.0.0/0]\n",
			[]string{`mlforge.yaml:3: aws.sshCidrs[0]: "0.0.0.0/0" opens SSH to the whole internet: name your own network, for example 0.0.0.0/32`}},
		{"cidr host bits", "project: taxi\naws:\n  sshCidrs: [10.1.2.3/8]\n",
			[]string{`mlforge.yaml:3: aws.sshCidrs[0]: "10.1.2.3/8" has host bits set: did you mean 10.0.0.0/8?`}},
		{"bad host", "project: taxi\nssh:\n  host: example.com\n",
			[]string{`mlforge.yaml:3: ssh.host: "example.com" is not user@address[:port] (for example ubuntu@203.0.113.7)`}},
		{"bad region", "project: taxi\naws: {region: europe}\n",
			[]string{`mlforge.yaml:2: aws.region: "europe" is not a valid AWS region (for example us-east-1, eu-west-1)`}},
		{"list where mapping", "project: taxi\naws: [1, 2]\n",
			[]string{`mlforge.yaml:2: aws: expected a mapping of keys to values, got a list`}},
		{"bool where string", "project: taxi\nssh: {dir: true}\n",
			[]string{`mlforge.yaml:2: ssh.dir: expected a string, got "true"`}},
		{"string where bool", "project: taxi\naws: {spot: sometimes}\n",
			[]string{`mlforge.yaml:2: aws.spot: expected true or false, got "sometimes"`}},
		{"duplicate key", "project: taxi\nproject: cab\n",
			[]string{`mlforge.yaml:2: project: key given twice`}},
		{"bad environment name", "project: taxi\nenvironments:\n  Prod: {}\n",
			[]string{`mlforge.yaml:3: environments.Prod: "Prod" is not a valid name: use 2-40 lower-case letters, digits and dashes, starting with a letter`}},
		{"service name compose refuses", "project: taxi\nservices:\n  \"my app\": {port: 80}\n",
			[]string{`mlforge.yaml:3: services.my app: "my app" is not a compose service name: use letters, digits, dots, underscores and dashes`}},
		{"job service compose refuses", "project: taxi\njobs:\n  train: {service: \"a/b\"}\n",
			[]string{`mlforge.yaml:3: jobs.train.service: "a/b" is not a compose service name: use letters, digits, dots, underscores and dashes`}},
		{"ssh target without host", "project: taxi\ntarget: ssh\n",
			[]string{`mlforge.yaml:2: ssh.host: target ssh needs a host: set ssh.host to user@address[:port], or pass --host`}},
		{"compose file outside", "project: taxi\ncompose: {file: ../x.yml}\n",
			[]string{`mlforge.yaml:2: compose.file: "../x.yml" points outside the project`}},
		{"backend", "project: taxi\naws: {backend: ftp://x}\n",
			[]string{`mlforge.yaml:2: aws.backend: "ftp://x" is not a Pulumi backend URL (file://DIR, s3://bucket/prefix, https://api.pulumi.com)`}},
		{"job names a service", "project: taxi\nservices:\n  serve: {role: model}\njobs:\n  train: {service: serve}\n",
			[]string{`mlforge.yaml:5: jobs.train.service: "serve" is a long-running service (services.serve), not a one-shot job`}},
		{"yaml syntax", "project: taxi\n  target: [\n",
			[]string{`mlforge.yaml:2: invalid YAML: mapping values are not allowed in this context`}},
		{"empty", "", []string{"mlforge.yaml:1: the file is empty: it needs at least `project: NAME`"}},
		{"two errors in line order", "project: taxi\naws:\n  volumeSize: 2\n  instanceType: nope\n",
			[]string{`mlforge.yaml:3: aws.volumeSize: 2 is below the minimum 8`,
				`mlforge.yaml:4: aws.instanceType: "nope" is not a valid EC2 instance type (for example t3.large, m7i.xlarge, g5.xlarge)`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mlforge.yaml", []byte(tc.doc))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want Errors", err)
			}
			if got := err.Error(); got != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(tc.want, "\n"))
			}
		})
	}
}

// Service and job names are compose service names: compose accepts
// underscores, dots and capitals (its schema's ^[a-zA-Z0-9._-]+$), so
// mlforge.yaml does too. Environments still name stacks and stay strict.
func TestComposeServiceNames(t *testing.T) {
	doc := `project: shop
services:
  web_app: {role: model, port: 8000}
  metrics.v2: {role: metrics, port: 9090}
  Api-1: {role: other}
jobs:
  nightly_train: {service: trainer_job}
  report.daily: {service: reports.v1}
`
	cfg, err := Parse("mlforge.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Services["web_app"].Port != 8000 || cfg.Services["metrics.v2"].Role != "metrics" || cfg.Jobs["report.daily"].Service != "reports.v1" {
		t.Errorf("parsed %+v %+v", cfg.Services, cfg.Jobs)
	}
	if _, err := Parse("mlforge.yaml", []byte("project: shop\nenvironments:\n  prod_eu: {}\n")); err == nil {
		t.Error("an environment name with an underscore was accepted; environments name stacks and cloud resources")
	}
}

func TestInstanceTypes(t *testing.T) {
	for _, ok := range []string{"t3.micro", "t3.large", "m7i.2xlarge", "g5.xlarge", "p4d.24xlarge", "c7gn.metal", "inf2.48xlarge", "u-6tb1.metal", "x2iedn.32xlarge", "trn1n.32xlarge", "mac2.metal"} {
		if err := checkInstanceType(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"t3.hug", "t3", "large", "T3.large", "t3.large.x", "q9.large", ""} {
		if checkInstanceType(bad) == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(deep); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find without a file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, FileName), []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Find(deep); err != nil || got != root {
		t.Errorf("Find = %s, %v; want %s", got, err, root)
	}
	cfg, err := Load(filepath.Join(root, FileName))
	if err != nil || cfg.Project != "taxi" {
		t.Errorf("Load = %+v, %v", cfg, err)
	}
}

func TestEmptyValuesTakeDefaults(t *testing.T) {
	cfg, err := Parse("mlforge.yaml", []byte("project: taxi\naws:\ncompose:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AWS.InstanceType != "t3.large" || cfg.Compose.File != "docker-compose.yml" {
		t.Errorf("empty sections lost their defaults: %+v %+v", cfg.AWS, cfg.Compose)
	}
	_, err = Parse("mlforge.yaml", []byte("project:\n"))
	if err == nil || err.Error() != "mlforge.yaml:1: project: required key has no value" {
		t.Errorf("empty required key: %v", err)
	}
}

func TestServiceModel(t *testing.T) {
	cfg, err := Parse("mlforge.yaml", []byte("project: taxi\nservices:\n  serve: {role: model, model: taxi-duration@production}\n"))
	if err != nil || cfg.Services["serve"].Model != "taxi-duration@production" {
		t.Fatalf("%v %+v", err, cfg)
	}
	_, err = Parse("mlforge.yaml", []byte("project: taxi\nservices:\n  serve: {model: taxi-duration}\n"))
	if err == nil || !strings.Contains(err.Error(), `services.serve.model: "taxi-duration" does not match`) {
		t.Errorf("model without alias: %v", err)
	}
}
