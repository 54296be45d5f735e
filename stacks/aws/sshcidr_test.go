package aws

import (
	"encoding/json"
	"strings"
	"testing"
)

// SSH networks wider than a /16 (IPv4) or /48 (IPv6) need
// aws.allowWideSSH; /0 and malformed blocks never pass. 0.0.0.0/1 (half
// the internet) used to be accepted.
func TestSSHCidrWidth(t *testing.T) {
	tests := []struct {
		cidr  string
		wide  bool   // accepted only with AllowWideSSH
		never string // refused even with AllowWideSSH, with this in the error
	}{
		{cidr: "203.0.113.7/32"},
		{cidr: "10.1.0.0/16"},
		{cidr: "10.0.0.0/15", wide: true},
		{cidr: "0.0.0.0/1", wide: true},
		{cidr: "2001:db8::/48"},
		{cidr: "2001:db8:1:2::/64"},
		{cidr: "2001:db8::/47", wide: true},
		{cidr: "2000::/3", wide: true},
		{cidr: "0.0.0.0/0", never: "whole internet"},
		{cidr: "::/0", never: "whole internet"},
		{cidr: "10.0.0.1/16", never: "host bits"},
		{cidr: "::ffff:203.0.113.7/128", never: "write it as 203.0.113.7/32"},
		{cidr: "203.0.113.7", never: "not a CIDR block"},
	}
	for _, tt := range tests {
		for _, allow := range []bool{false, true} {
			c := testConfig()
			c.SSHCidrs, c.AllowWideSSH = []string{"198.51.100.0/24", tt.cidr}, allow
			err := c.Validate()
			switch {
			case tt.never != "":
				if err == nil || !strings.Contains(err.Error(), "aws.sshCidrs") || !strings.Contains(err.Error(), tt.never) {
					t.Errorf("%s (allowWideSSH %v): want an aws.sshCidrs error saying %q, got %v", tt.cidr, allow, tt.never, err)
				}
			case tt.wide && !allow:
				if err == nil || !strings.Contains(err.Error(), "aws.sshCidrs") || !strings.Contains(err.Error(), "aws.allowWideSSH") {
					t.Errorf("%s: want an aws.sshCidrs error naming aws.allowWideSSH, got %v", tt.cidr, err)
				}
			default:
				if err != nil {
					t.Errorf("%s (allowWideSSH %v): %v", tt.cidr, allow, err)
				}
			}
		}
	}
}

// The offline plan fails on a wide network, like preview and up would.
func TestWideSSHFailsThePlan(t *testing.T) {
	c := testConfig()
	c.SSHCidrs = []string{"0.0.0.0/1"}
	if _, err := PlanOffline(c, "eu-west-1"); err == nil || !strings.Contains(err.Error(), "aws.sshCidrs") {
		t.Fatalf("0.0.0.0/1 planned without aws.allowWideSSH: %v", err)
	}
}

// IPv6 networks reach the security group as ipv6CidrBlocks, and an
// accepted wide network is visible in the plan.
func TestSSHRuleFamiliesAndOverride(t *testing.T) {
	c := testConfig()
	c.SSHCidrs = []string{"203.0.113.7/32", "2001:db8:1::/48"}
	rule := sshRule(t, plan(t, c))
	if got := jsonOf(rule["cidrBlocks"]); got != `["203.0.113.7/32"]` {
		t.Errorf("cidrBlocks = %s", got)
	}
	if got := jsonOf(rule["ipv6CidrBlocks"]); got != `["2001:db8:1::/48"]` {
		t.Errorf("ipv6CidrBlocks = %s", got)
	}
	if rule["description"] != "SSH" {
		t.Errorf("narrow networks: description = %v", rule["description"])
	}

	c.SSHCidrs = []string{"2001:db8::/32"}
	if _, err := PlanOffline(c, "eu-west-1"); err == nil {
		t.Fatal("a /32 IPv6 network planned without aws.allowWideSSH")
	}
	c.AllowWideSSH = true
	rule = sshRule(t, plan(t, c))
	if _, v4 := rule["cidrBlocks"]; v4 {
		t.Errorf("IPv6 only: unexpected cidrBlocks %v", rule["cidrBlocks"])
	}
	if d, _ := rule["description"].(string); !strings.Contains(d, "aws.allowWideSSH") {
		t.Errorf("the plan does not show the wide-network override: description %q", d)
	}
}

func sshRule(t *testing.T, p *Plan) map[string]any {
	t.Helper()
	sg := one(t, p, "aws:ec2/securityGroup:SecurityGroup")
	for _, r := range get(t, sg, "ingress").([]any) {
		if rule := r.(map[string]any); rule["fromPort"] == float64(22) {
			return rule
		}
	}
	t.Fatalf("no SSH rule in %v", sg.Inputs)
	return nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
