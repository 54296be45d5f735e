package aws

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

const testUserData = "#cloud-config\n# mlforge bootstrap\nruncmd:\n  - [sh, -c, 'echo install docker']\n"

func testConfig() Config {
	return Config{
		Project: "taxi", Env: "dev", InstanceType: "t3.large", VolumeSize: 50,
		SSHUser: "ubuntu", SSHCidrs: []string{"203.0.113.7/32"},
		Images: []string{"train", "serve"}, KeepImages: 10, NoncurrentDays: 30,
		PublicKey:          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOf3z0aH0Xh1cB8sQ1mJ8yB3m6Yx1b2m3n4o5p6q7r8s mlforge",
		HostKeyFingerprint: "SHA256:" + strings.Repeat("A", 43),
		UserData:           testUserData,
	}
}

// gunzipBase64 decodes user data as EC2 gets it (base64 of gzip).
func gunzipBase64(t *testing.T, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("user data is not gzip-compressed: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func plan(t *testing.T, c Config) *Plan {
	t.Helper()
	p, err := PlanOffline(c, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// byType returns the planned resources of one type.
func (p *Plan) byType(typ string) []Planned {
	var out []Planned
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, p *Plan, typ string) Planned {
	t.Helper()
	rs := p.byType(typ)
	if len(rs) != 1 {
		t.Fatalf("%s: got %d resources, want 1", typ, len(rs))
	}
	return rs[0]
}

// get walks a dotted path through plain inputs ("metadataOptions.httpTokens", "rules.0.status").
func get(t *testing.T, r Planned, path string) any {
	t.Helper()
	var v any = r.Inputs
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i := int(part[0] - '0')
			if i >= len(x) {
				t.Fatalf("%s %s: index %s out of range", r.Type, path, part)
			}
			v = x[i]
		default:
			t.Fatalf("%s %s: cannot descend into %T", r.Type, path, v)
		}
	}
	return v
}

func TestInstancePolicy(t *testing.T) {
	p := plan(t, testConfig())
	inst := one(t, p, "aws:ec2/instance:Instance")
	for path, want := range map[string]any{
		"metadataOptions.httpTokens":              "required",
		"metadataOptions.httpPutResponseHopLimit": float64(2),
		"rootBlockDevice.encrypted":               true,
		"rootBlockDevice.volumeType":              "gp3",
		"rootBlockDevice.volumeSize":              float64(50),
		"instanceType":                            "t3.large",
		"ami":                                     "ami-0123456789abcdef0",
		"userDataBase64":                          "[secret]",
		"userData":                                nil,
		"userDataReplaceOnChange":                 nil,
		"instanceInitiatedShutdownBehavior":       "stop",
		"availabilityZone":                        "eu-west-1a",
	} {
		if got := get(t, inst, path); got != want {
			t.Errorf("instance %s = %v, want %v", path, got, want)
		}
	}
	if got := strings.Join(inst.IgnoreChanges, ","); got != "ami,userData,userDataBase64,keyName,availabilityZone" {
		t.Errorf("instance ignoreChanges = %q: a new AMI, bootstrap script, key or zone would replace the host", got)
	}
	if _, spot := inst.Inputs["instanceMarketOptions"]; spot {
		t.Error("instance: spot options set without aws.spot")
	}
	ud := inst.raw["userDataBase64"]
	if !ud.IsSecret() {
		t.Fatalf("instance userDataBase64: want a secret, got %v", ud)
	}
	if got := gunzipBase64(t, ud.SecretValue().Element.StringValue()); got != testUserData {
		t.Errorf("instance user data: want the bootstrap cloud-init gzip-compressed, got %q", got)
	}
}

func TestSpotGPUAndArm(t *testing.T) {
	c := testConfig()
	c.Spot, c.InstanceType = true, "g5.xlarge"
	inst := one(t, plan(t, c), "aws:ec2/instance:Instance")
	for path, want := range map[string]any{
		"instanceMarketOptions.marketType":                               "spot",
		"instanceMarketOptions.spotOptions.spotInstanceType":             "persistent",
		"instanceMarketOptions.spotOptions.instanceInterruptionBehavior": "stop",
		"instanceInitiatedShutdownBehavior":                              "stop",
	} {
		if got := get(t, inst, path); got != want {
			t.Errorf("spot: %s = %v, want %v (an interruption must stop the host, keeping its volumes)", path, got, want)
		}
	}
	for typ, want := range map[string]string{"g5.xlarge": "amd64", "t4g.large": "arm64", "c7gn.2xlarge": "arm64", "g5g.xlarge": "arm64", "g4dn.xlarge": "amd64", "m7i-flex.large": "amd64"} {
		if got := Arch(typ); got != want {
			t.Errorf("Arch(%s) = %s, want %s", typ, got, want)
		}
	}
	c.AMI = "ami-0aaaaaaaaaaaaaaaa"
	if got := get(t, one(t, plan(t, c), "aws:ec2/instance:Instance"), "ami"); got != c.AMI {
		t.Errorf("aws.ami override: ami = %v", got)
	}
}

func TestBucketPolicy(t *testing.T) {
	p := plan(t, testConfig())
	checks := []struct {
		typ, path string
		want      any
	}{
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "blockPublicAcls", true},
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "blockPublicPolicy", true},
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "ignorePublicAcls", true},
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "restrictPublicBuckets", true},
		{"aws:s3/bucketOwnershipControls:BucketOwnershipControls", "rule.objectOwnership", "BucketOwnerEnforced"},
		{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"},
		{"aws:s3/bucketVersioningV2:BucketVersioningV2", "versioningConfiguration.status", "Enabled"},
		{"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "rules.0.noncurrentVersionExpiration.noncurrentDays", float64(30)},
		{"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "rules.0.status", "Enabled"},
		{"aws:s3/bucketV2:BucketV2", "forceDestroy", false},
	}
	for _, c := range checks {
		r := one(t, p, c.typ)
		if got := get(t, r, c.path); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.typ, c.path, got, c.want)
		}
		if c.typ != "aws:s3/bucketV2:BucketV2" && get(t, r, "bucket") != p.Outputs[OutBucket] {
			t.Errorf("%s applies to %v, not the artifact bucket %v", c.typ, get(t, r, "bucket"), p.Outputs[OutBucket])
		}
	}
}

func TestRepositoryPolicy(t *testing.T) {
	p := plan(t, testConfig())
	repos := p.byType("aws:ecr/repository:Repository")
	if len(repos) != 2 {
		t.Fatalf("repositories: got %d, want one per image (2)", len(repos))
	}
	for _, r := range repos {
		if get(t, r, "imageTagMutability") != "IMMUTABLE" || get(t, r, "imageScanningConfiguration.scanOnPush") != true ||
			get(t, r, "encryptionConfigurations.0.encryptionType") != "AES256" || get(t, r, "forceDelete") != false {
			t.Errorf("repository %s: want immutable tags, scan on push, encryption, no force delete: %v", r.Name, r.Inputs)
		}
	}
	pols := p.byType("aws:ecr/lifecyclePolicy:LifecyclePolicy")
	if len(pols) != 2 {
		t.Fatalf("lifecycle policies: got %d, want 2", len(pols))
	}
	var doc struct {
		Rules []struct {
			Selection struct {
				CountType   string
				CountNumber int
			}
			Action struct{ Type string }
		}
	}
	if err := json.Unmarshal([]byte(get(t, pols[0], "policy").(string)), &doc); err != nil {
		t.Fatal(err)
	}
	if r := doc.Rules[0]; r.Selection.CountType != "imageCountMoreThan" || r.Selection.CountNumber != 10 || r.Action.Type != "expire" {
		t.Errorf("lifecycle policy: want keep last 10, got %+v", doc)
	}
	urls, _ := p.Outputs[OutRepositoryURLs].(map[string]any)
	if len(urls) != 2 || !strings.Contains(urls["serve"].(string), ".dkr.ecr.eu-west-1.amazonaws.com/") {
		t.Errorf("output %s = %v", OutRepositoryURLs, p.Outputs[OutRepositoryURLs])
	}
}

func TestSecurityGroupOnlySSHFromGivenCidrs(t *testing.T) {
	for _, cidrs := range [][]string{{"203.0.113.7/32"}, {"198.51.100.0/24", "192.0.2.1/32"}} {
		c := testConfig()
		c.SSHCidrs = cidrs
		sg := one(t, plan(t, c), "aws:ec2/securityGroup:SecurityGroup")
		ingress := get(t, sg, "ingress").([]any)
		if len(ingress) != 1 {
			t.Fatalf("ingress: got %d rules, want only SSH: %v", len(ingress), ingress)
		}
		rule := ingress[0].(map[string]any)
		if rule["fromPort"] != float64(22) || rule["toPort"] != float64(22) || rule["protocol"] != "tcp" {
			t.Errorf("ingress: want tcp/22 only, got %v", rule)
		}
		got, _ := json.Marshal(rule["cidrBlocks"])
		want, _ := json.Marshal(cidrs)
		if string(got) != string(want) || strings.Contains(string(got), "0.0.0.0/0") {
			t.Errorf("ingress cidrBlocks = %s, want %s", got, want)
		}
		if _, v6 := rule["ipv6CidrBlocks"]; v6 {
			t.Errorf("ingress: unexpected IPv6 ranges %v", rule)
		}
	}
}

func TestRejectsOpenSSH(t *testing.T) {
	for _, bad := range [][]string{{"0.0.0.0/0"}, nil, {"not-a-cidr"}, {"::/0"}} {
		c := testConfig()
		c.SSHCidrs = bad
		if _, err := PlanOffline(c, "us-east-1"); err == nil || !strings.Contains(err.Error(), "aws.sshCidrs") {
			t.Errorf("sshCidrs %v: want an aws.sshCidrs error, got %v", bad, err)
		}
	}
}

func TestIAMScopedToBucketAndRepositories(t *testing.T) {
	p := plan(t, testConfig())
	pol := one(t, p, "aws:iam/rolePolicy:RolePolicy")
	var doc struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(get(t, pol, "policy").(string)), &doc); err != nil {
		t.Fatal(err)
	}
	bucketArn := "arn:aws:s3:::" + p.Outputs[OutBucket].(string)
	allowed := map[string]bool{bucketArn: true, bucketArn + "/*": true}
	for _, r := range p.byType("aws:ecr/repository:Repository") {
		allowed["arn:aws:ecr:eu-west-1:"+MockAccount+":repository/"+r.Name+"-abc1234"] = true
	}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			t.Errorf("statement %v: unexpected effect", s)
		}
		for _, res := range s.Resource {
			if res == "*" {
				if len(s.Action) != 1 || s.Action[0] != "ecr:GetAuthorizationToken" {
					t.Errorf("statement grants %v on *; only ecr:GetAuthorizationToken may", s.Action)
				}
				continue
			}
			if !allowed[res] {
				t.Errorf("statement grants %v on %s, outside this bucket and these repositories", s.Action, res)
			}
		}
		for _, a := range s.Action {
			if strings.HasSuffix(a, "*") {
				t.Errorf("statement uses wildcard action %s", a)
			}
		}
	}
	if len(doc.Statement) != 4 {
		t.Errorf("policy: got %d statements, want 4 (list, read/write, login, push/pull)", len(doc.Statement))
	}
	role := one(t, p, "aws:iam/role:Role")
	if !strings.Contains(get(t, role, "assumeRolePolicy").(string), `"ec2.amazonaws.com"`) {
		t.Errorf("role: assumable by something other than EC2: %v", role.Inputs)
	}
}

// untaggable are side resources AWS offers no tags for.
var untaggable = map[string]bool{
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     true,
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     true,
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": true,
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               true,
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       true,
	"aws:ecr/lifecyclePolicy:LifecyclePolicy":                                                    true,
	"aws:iam/rolePolicy:RolePolicy":                                                              true,
	"aws:ec2/volumeAttachment:VolumeAttachment":                                                  true,
}

func TestTagsOnEveryResource(t *testing.T) {
	p := plan(t, testConfig())
	if len(p.Resources) != 19 {
		t.Errorf("resources: got %d, want 19", len(p.Resources))
	}
	for _, r := range p.Resources {
		if untaggable[r.Type] {
			continue
		}
		tags, _ := r.Inputs["tags"].(map[string]any)
		if tags["mlforge:project"] != "taxi" || tags["mlforge:environment"] != "dev" {
			t.Errorf("%s %s: tags %v lack project and environment", r.Type, r.Name, tags)
		}
	}
}

func TestOutputs(t *testing.T) {
	p := plan(t, testConfig())
	for _, k := range []string{OutInstanceID, OutPublicIP, OutPublicDNS, OutPrivateIP, OutSSHUser, OutHostKeyFingerprint, OutHostKey,
		OutBucket, OutRepositoryURLs, OutDataVolumeID, OutAvailabilityZone, OutSpotRequestIDs, OutWorkers, OutUserDataBytes} {
		if _, ok := p.Outputs[k]; !ok {
			t.Errorf("output %s missing: %v", k, p.Outputs)
		}
	}
	if p.Outputs[OutSSHUser] != "ubuntu" || p.Outputs[OutHostKeyFingerprint] != testConfig().HostKeyFingerprint {
		t.Errorf("outputs: %v", p.Outputs)
	}
}

func TestDeleteDataControlsRetention(t *testing.T) {
	c := testConfig()
	c.DeleteData = true
	p := plan(t, c)
	if get(t, one(t, p, "aws:s3/bucketV2:BucketV2"), "forceDestroy") != true {
		t.Error("delete data: bucket forceDestroy not set")
	}
	for _, r := range p.byType("aws:ecr/repository:Repository") {
		if get(t, r, "forceDelete") != true {
			t.Errorf("delete data: repository %s forceDelete not set", r.Name)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := map[string]func(*Config){
		"aws.instanceType": func(c *Config) { c.InstanceType = "large" },
		"aws.volumeSize":   func(c *Config) { c.VolumeSize = 4 },
		"aws.ami":          func(c *Config) { c.AMI = "ubuntu" },
		"public key":       func(c *Config) { c.PublicKey = "nope" },
		"fingerprint":      func(c *Config) { c.HostKeyFingerprint = "MD5:aa" },
		"user data":        func(c *Config) { c.UserData = " " },
		"image \"Bad\"":    func(c *Config) { c.Images = []string{"Bad"} },
		"listed twice":     func(c *Config) { c.Images = []string{"a", "a"} },
	}
	for want, mutate := range cases {
		c := testConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	if err := testConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// The host's public address is an Elastic IP bound to it: the outputs stay
// right after a stop and start.
func TestHostsKeepTheirAddress(t *testing.T) {
	c := testConfig()
	c.Workers = []Worker{testWorker(t, 1)}
	p := plan(t, c)
	var eips []Planned
	for _, r := range p.Resources {
		if r.Type == "aws:ec2/eip:Eip" {
			eips = append(eips, r)
		}
	}
	if len(eips) != 2 {
		t.Fatalf("Elastic IPs: %d, want one for the host and one for the worker", len(eips))
	}
	for _, e := range eips {
		if e.Inputs["domain"] != "vpc" || e.Inputs["instance"] == nil {
			t.Errorf("%s: %v, want a VPC address bound to its instance", e.Name, e.Inputs)
		}
	}
	if p.Outputs[OutPublicIP] != "198.51.100.20" {
		t.Errorf("publicIp output %v, want the Elastic IP's", p.Outputs[OutPublicIP])
	}
}
