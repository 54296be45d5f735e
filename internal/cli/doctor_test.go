package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/awsapi"
)

func TestDoctorReportsEachCheckWithAFix(t *testing.T) {
	dir, _ := awsProject(t, "")
	f, _, _ := testFactory(dir)
	f.Deploy.AWS = func(context.Context, string) (*awsapi.Client, error) {
		return nil, errors.New("no EC2 IMDS role found\nmore detail")
	}
	home := t.TempDir()
	f.Deploy.Getenv = func(k string) string {
		if k == "MLFORGE_HOME" {
			return home
		}
		return ""
	}
	r := runWith(t, f, "doctor", "--json")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (credentials and ssh-agent fail): %s", r.code, r.errOut)
	}
	var checks []check
	if err := json.Unmarshal([]byte(r.out), &checks); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	byName := map[string]check{}
	for _, c := range checks {
		byName[c.Name] = c
		if !c.OK && c.Fix == "" {
			t.Errorf("%s fails without a fix", c.Name)
		}
	}
	if len(checks) != 6 {
		t.Errorf("checks: %+v", checks)
	}
	if c := byName["AWS credentials"]; c.OK || c.Detail != "no EC2 IMDS role found" || !strings.Contains(c.Fix, "aws configure") {
		t.Errorf("credentials: %+v", c)
	}
	if c := byName["AWS region"]; !c.OK || !strings.HasPrefix(c.Detail, "eu-west-1 (from aws.region") {
		t.Errorf("region: %+v", c)
	}
	if c := byName["ssh-agent"]; c.OK || c.Detail != "SSH_AUTH_SOCK not set" {
		t.Errorf("ssh-agent: %+v", c)
	}

	r = runWith(t, f, "doctor")
	if r.code != 1 || !strings.Contains(r.out, "✗  AWS credentials") && !strings.Contains(r.out, "AWS credentials") || !strings.Contains(r.out, "AWS credentials: configure credentials") {
		t.Errorf("human output:\n%s", r.out)
	}
	if r.errOut != "" {
		t.Errorf("doctor printed an error besides its table: %q", r.errOut)
	}
}
