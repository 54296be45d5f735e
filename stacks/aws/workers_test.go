package aws

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/mlforge/mlforge/bootstrap"
)

// testWorker is worker n with its own host key and user data.
func testWorker(t *testing.T, n int) Worker {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := bootstrap.Gzip([]byte(fmt.Sprintf("#cloud-config\n# worker %d\n", n)))
	if err != nil {
		t.Fatal(err)
	}
	return Worker{UserData: ud, HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))),
		HostKeyFingerprint: ssh.FingerprintSHA256(key)}
}

// aws.workers: N instances beside the manager, in its zone and security
// group, each with its own user data; swarm ports open only between
// members of the group; outputs that let a client reach and pin each.
func TestWorkers(t *testing.T) {
	c := testConfig()
	c.Workers = []Worker{testWorker(t, 1), testWorker(t, 2)}
	p := plan(t, c)
	insts := p.byType("aws:ec2/instance:Instance")
	if len(insts) != 3 {
		t.Fatalf("instances: got %d, want the manager and 2 workers", len(insts))
	}
	for i, w := range insts[1:] {
		if w.Name != fmt.Sprintf("taxi-dev-worker-%d", i+1) {
			t.Errorf("worker %d named %s", i+1, w.Name)
		}
		for _, path := range []string{"vpcSecurityGroupIds.0", "availabilityZone", "iamInstanceProfile", "keyName", "instanceType", "instanceInitiatedShutdownBehavior", "metadataOptions.httpTokens"} {
			if get(t, w, path) != get(t, insts[0], path) {
				t.Errorf("worker %d %s = %v, manager's %v", i+1, path, get(t, w, path), get(t, insts[0], path))
			}
		}
		if got := gunzipBase64(t, w.raw["userDataBase64"].SecretValue().Element.StringValue()); got != fmt.Sprintf("#cloud-config\n# worker %d\n", i+1) {
			t.Errorf("worker %d user data = %q", i+1, got)
		}
	}
	if n := len(p.byType("aws:ec2/volumeAttachment:VolumeAttachment")); n != 1 {
		t.Errorf("volume attachments: %d, want the manager's only", n)
	}
	checkSwarmRules(t, one(t, p, "aws:ec2/securityGroup:SecurityGroup"))

	out, _ := p.Outputs[OutWorkers].([]any)
	if len(out) != 2 {
		t.Fatalf("%s = %v", OutWorkers, p.Outputs[OutWorkers])
	}
	for i, o := range out {
		w := o.(map[string]any)
		if w["hostKey"] != c.Workers[i].HostKey || w["hostKeyFingerprint"] != c.Workers[i].HostKeyFingerprint ||
			w["instanceId"] == "" || w["publicIp"] == nil || w["privateIp"] == nil || w["name"] != workerName(i) {
			t.Errorf("worker %d outputs %v: want its id, addresses and the host key to pin", i+1, w)
		}
	}
	if ids, _ := p.Outputs[OutSpotRequestIDs].([]any); len(ids) != 3 {
		t.Errorf("%s = %v, want one per host", OutSpotRequestIDs, p.Outputs[OutSpotRequestIDs])
	}
}

func checkSwarmRules(t *testing.T, sg Planned) {
	t.Helper()
	want := map[string]bool{"tcp/2377": true, "tcp/7946": true, "udp/7946": true, "udp/4789": true, "50/0": true}
	for _, r := range get(t, sg, "ingress").([]any) {
		rule := r.(map[string]any)
		if rule["fromPort"] == float64(22) {
			continue
		}
		key := fmt.Sprintf("%v/%v", rule["protocol"], rule["fromPort"])
		if !want[key] || rule["self"] != true || rule["cidrBlocks"] != nil || rule["ipv6CidrBlocks"] != nil || rule["toPort"] != rule["fromPort"] {
			t.Errorf("ingress rule %v: want swarm ports open to the group's members only", rule)
		}
		delete(want, key)
	}
	if len(want) > 0 {
		t.Errorf("swarm rules missing: %v", want)
	}
}

// Without workers no swarm port is open; the bounds of aws.workers hold.
func TestNoWorkersNoSwarmPorts(t *testing.T) {
	sg := one(t, plan(t, testConfig()), "aws:ec2/securityGroup:SecurityGroup")
	if n := len(get(t, sg, "ingress").([]any)); n != 1 {
		t.Errorf("ingress rules without workers: %d, want SSH only", n)
	}
	c := testConfig()
	for i := 0; i <= MaxWorkers; i++ {
		c.Workers = append(c.Workers, testWorker(t, i+1))
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "aws.workers") {
		t.Errorf("%d workers: got %v", len(c.Workers), err)
	}
	c.Workers = []Worker{testWorker(t, 1)}
	c.Workers[0].HostKeyFingerprint = "nope"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "worker 1") {
		t.Errorf("worker without a fingerprint: got %v", err)
	}
}
