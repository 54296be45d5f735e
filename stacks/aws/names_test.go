package aws

import (
	"strings"
	"testing"
)

// extremeNames are allowed project and environment names (2-40
// characters, ^[a-z][a-z0-9-]{0,38}[a-z0-9]$) at the edges of AWS's rules.
var extremeNames = []string{
	"ab",
	strings.Repeat("a", 40),
	"a" + strings.Repeat("-", 38) + "z",
	strings.Repeat("x1", 20),
	"sg-taxi",        // security group names may not start with sg-
	"xn--taxi",       // S3 reserves xn--
	"sthree-taxi",    // S3 reserves sthree-
	"amzn-s3-demo-x", // S3 reserves amzn-s3-demo-
}

// Every allowed project and environment name yields names AWS accepts:
// checked by the rules (checkNames) and by their lengths and shapes here,
// with auto-naming's suffixes at full length.
func TestNamesFitAWSForEveryAllowedProject(t *testing.T) {
	images := []string{"serve", strings.Repeat("i", 128), "a.b_c__d--e"}
	for _, project := range extremeNames {
		for _, env := range extremeNames {
			c := testConfig()
			c.Project, c.Env, c.Images = project, env, images
			if err := c.Validate(); err != nil {
				t.Errorf("%s/%s: %v", project, env, err)
				continue
			}
			if n := c.roleName() + "-abcdef0"; len(n) > 64 || !roleRE.MatchString(n) {
				t.Errorf("%s/%s: IAM role %q", project, env, n)
			}
			if n := c.securityGroupName(); strings.HasPrefix(n, "sg-") || len(n)+8 > 255 {
				t.Errorf("%s/%s: security group %q", project, env, n)
			}
			bucket := c.bucketPrefix() + strings.Repeat("0", 26)
			if p := c.bucketPrefix(); len(p) > 37 || len(bucket) > 63 || !bucketRE.MatchString(bucket) || hasReservedPrefix(bucket) {
				t.Errorf("%s/%s: bucket prefix %q", project, env, p)
			}
			for _, img := range images {
				if n := c.repositoryName(img) + "-abcdef0"; len(n) > 256 || !repositoryRE.MatchString(n) {
					t.Errorf("%s/%s: repository %q", project, env, n)
				}
			}
			if n := c.keyNamePrefix() + strings.Repeat("0", 26); len(n) > 255 {
				t.Errorf("%s/%s: key pair %q", project, env, n)
			}
		}
	}
}

func hasReservedPrefix(name string) bool {
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// The longest names plan offline, and the plan uses the shortened names.
func TestLongestNamesPlan(t *testing.T) {
	c := testConfig()
	c.Project, c.Env = strings.Repeat("p", 40), strings.Repeat("e", 40)
	p := plan(t, c)
	role := one(t, p, "aws:iam/role:Role")
	if len(role.Name)+autoSuffix > roleNameMax {
		t.Errorf("role logical name %q (%d) leaves no room for the auto-name suffix", role.Name, len(role.Name))
	}
	bucket := one(t, p, "aws:s3/bucketV2:BucketV2")
	if bp := get(t, bucket, "bucketPrefix").(string); len(bp) > bucketPrefixMax {
		t.Errorf("bucketPrefix %q has %d characters", bp, len(bp))
	}
}

// Shortened names are stable (the same every run, so a re-run converges)
// and unique (projects that differ only past the cut get different names).
func TestShortenStableAndUnique(t *testing.T) {
	a := Config{Project: strings.Repeat("a", 40), Env: strings.Repeat("b", 39) + "1"}
	b := Config{Project: strings.Repeat("a", 40), Env: strings.Repeat("b", 39) + "2"}
	if a.roleName() != a.roleName() || a.bucketPrefix() != a.bucketPrefix() {
		t.Fatal("names are not stable")
	}
	if a.roleName() == b.roleName() || a.bucketPrefix() == b.bucketPrefix() {
		t.Errorf("environments %s and %s share names: %s, %s", a.Env, b.Env, a.roleName(), a.bucketPrefix())
	}
	short := Config{Project: "taxi", Env: "dev"}
	// Names that fit are left alone, so existing environments keep theirs.
	if short.roleName() != "taxi-dev-host" || short.bucketPrefix() != "taxi-dev-artifacts-" || short.securityGroupName() != "taxi-dev-host" {
		t.Errorf("short names changed: %s %s %s", short.roleName(), short.bucketPrefix(), short.securityGroupName())
	}
	if got := shorten("abc-"+strings.Repeat("x", 20), 12); len(got) != 12 && !strings.HasPrefix(got, "abc-") {
		t.Errorf("shorten = %q", got)
	}
}

// Image keys ECR would refuse are refused before any call.
func TestImageKeysFollowECR(t *testing.T) {
	for _, bad := range []string{"Bad", "a._b", "-a", "a-", "a/b", strings.Repeat("a", 129)} {
		c := testConfig()
		c.Images = []string{bad}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "image") {
			t.Errorf("image %q: want an image error, got %v", bad, err)
		}
	}
}
