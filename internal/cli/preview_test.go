package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// awsProject writes an aws project and points the mlforge directory at a
// temporary one.
func awsProject(t *testing.T, extra string) (dir, home string) {
	t.Helper()
	dir, home = t.TempDir(), t.TempDir()
	t.Setenv("MLFORGE_HOME", home)
	t.Setenv("MLFORGE_PASSPHRASE", "")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	t.Setenv("CI", "") // a workstation: the passphrase is generated into the mlforge directory
	yaml := "project: taxi\ntarget: aws\naws:\n  region: eu-west-1\n  instanceType: g5.xlarge\n" + extra
	compose := "services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow:v2.17.0\n  serve:\n    build: ./serve\n    image: taxi/serve:latest\n  jobs:\n    build: ./jobs\n"
	for name, body := range map[string]string{"mlforge.yaml": yaml, "docker-compose.yml": compose} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, home
}

// keysRE matches what differs between runs: generated keys.
var keysRE = regexp.MustCompile(`(ssh-ed25519 )[A-Za-z0-9+/=]+|SHA256:[A-Za-z0-9+/]{43}`)

func goldenFile(t *testing.T, name string, got string) {
	t.Helper()
	got = keysRE.ReplaceAllString(got, "${1}KEY")
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", name, got)
	}
}

func TestPreviewOffline(t *testing.T) {
	dir, home := awsProject(t, "")
	r := run(t, dir, "preview", "--offline")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	goldenFile(t, "preview-offline.golden", r.out)
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("offline preview wrote to the mlforge directory: %v", entries)
	}

	r = run(t, dir, "preview", "--offline", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var plan struct {
		Count     int
		Resources []struct {
			Type   string
			Inputs map[string]any
		}
		Outputs map[string]any
	}
	if err := json.Unmarshal([]byte(r.out), &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Count != 19 || len(plan.Resources) != 19 || plan.Outputs["sshUser"] != "ubuntu" {
		t.Errorf("json plan: %d resources, outputs %v", plan.Count, plan.Outputs)
	}
	if strings.Contains(r.out, "PRIVATE KEY") {
		t.Error("the plan shows a private key")
	}
}

func TestPreviewErrors(t *testing.T) {
	dir, _ := awsProject(t, "")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"preview", "--offline", "--target", "local"}, 2, "manages target aws infrastructure"},
		{[]string{"preview", "--offline", "--env", "Prod"}, 1, "--env"},
		{[]string{"preview", "extra"}, 2, "takes no arguments"},
	}
	for _, c := range cases {
		r := run(t, dir, c.args...)
		if r.code != c.code || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.errOut, c.code, c.want)
		}
	}
	bad, _ := awsProject(t, "  sshCidrs: [0.0.0.0/0]\n")
	if r := run(t, bad, "preview", "--offline"); r.code == 0 || !strings.Contains(r.errOut, "aws.sshCidrs") {
		t.Errorf("open SSH: exit %d, stderr %q", r.code, r.errOut)
	}
}

// TestPreviewWithoutProvider runs the real engine: without the AWS provider
// plugin (none can be downloaded here) the error says what to do.
func TestPreviewWithoutProvider(t *testing.T) {
	testenv.RequirePulumi(t)
	dir, _ := awsProject(t, "  sshCidrs: [203.0.113.7/32]\n")
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	t.Setenv("PULUMI_HOME", t.TempDir())
	r := run(t, dir, "preview")
	if r.code != 1 || !strings.Contains(r.errOut, "plugin") || !strings.Contains(r.errOut, "hint:") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.errOut)
	}
}
