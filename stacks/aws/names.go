package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// AWS's naming rules for the resources the program names. Pulumi's
// auto-naming appends "-" and 7 random characters to a logical name
// (autoSuffix); the provider's *Prefix arguments append a 26-character
// unique id (prefixSuffix).
const (
	autoSuffix   = 8
	prefixSuffix = 26

	// roleNameMax: IAM role names are 1-64 characters of [\w+=,.@-]
	// (IAM User Guide, "IAM object quotas"). The instance profile (128)
	// shares the role's base name, so the tighter limit applies to both.
	roleNameMax = 64
	// securityGroupNameMax: EC2 security group names are up to 255
	// characters and cannot start with "sg-" (CreateSecurityGroup).
	securityGroupNameMax = 255
	// keyNameMax: EC2 key pair names are up to 255 ASCII characters
	// (ImportKeyPair).
	keyNameMax = 255
	// repositoryNameMax: ECR repository names are 2-256 characters
	// (CreateRepository; pattern repositoryRE).
	repositoryNameMax = 256
	// bucketPrefixMax: S3 bucket names are 3-63 characters; the provider
	// appends its unique id to bucketPrefix, which it therefore limits to
	// 37 characters (s3.BucketV2 bucketPrefix).
	bucketPrefixMax = 37
	// Tags on EC2, IAM, S3 and ECR resources: keys up to 128 and values up
	// to 256 Unicode characters, at most 50 per resource, and keys must not
	// start with "aws:" (AWS "Tagging best practices", per-service limits).
	tagKeyMax, tagValueMax, tagsMax = 128, 256, 50
)

var (
	// repositoryRE is ECR's repository name pattern (CreateRepository).
	repositoryRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	// bucketRE is S3's general purpose bucket naming rule: lower-case
	// letters, digits, dots and hyphens, starting and ending with a letter
	// or digit ("Bucket naming rules", S3 User Guide).
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	// roleRE is IAM's name character set.
	roleRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// tagRE is the character set IAM (the strictest of the services
	// tagged here) accepts in tag keys and values.
	tagRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// bucketReservedPrefixes are prefixes S3 refuses for bucket names.
var bucketReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// shorten returns name when it has at most max characters, otherwise a
// stable, unique stand-in: as much of name as fits, then "-" and 8 hex
// digits of its SHA-256. Two names that differ only past the cut still get
// different results.
func shorten(name string, max int) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	head := strings.TrimRight(name[:max-9], "-._")
	return head + "-" + hex.EncodeToString(sum[:])[:8]
}

// name is the logical (and auto-naming base) name of this environment's
// resource called suffix, short enough that the physical name the
// provider derives from it fits within max characters.
func (c Config) name(suffix string, max int) string {
	return shorten(c.prefix()+"-"+suffix, max-autoSuffix)
}

// roleName is the base name of the host role and instance profile.
func (c Config) roleName() string { return c.name("host", roleNameMax) }

// securityGroupName is the security group's base name; a project named
// sg-... gets "mlforge-" in front, since AWS reserves that prefix for ids.
func (c Config) securityGroupName() string {
	n := c.name("host", securityGroupNameMax)
	if strings.HasPrefix(n, "sg-") {
		n = shorten("mlforge-"+n, securityGroupNameMax-autoSuffix)
	}
	return n
}

// keyNamePrefix is the key pair's name prefix.
func (c Config) keyNamePrefix() string {
	return shorten(c.prefix(), keyNameMax-prefixSuffix-1) + "-"
}

// bucketPrefix is the artifact bucket's name prefix, avoiding the
// prefixes S3 reserves.
func (c Config) bucketPrefix() string {
	n := c.prefix() + "-artifacts"
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(n, p) {
			n = "mlforge-" + n
		}
	}
	return shorten(n, bucketPrefixMax-1) + "-"
}

// repositoryName is the base name of image's ECR repository.
func (c Config) repositoryName(image string) string {
	return c.name(image, repositoryNameMax)
}

// checkNames verifies every physical name the program will ask for
// against AWS's rules, with the auto-named suffixes at their full length.
func (c Config) checkNames() error {
	auto := "-abcdef0"
	prefixed := strings.Repeat("0", prefixSuffix)
	checks := []struct {
		what, name string
		max        int
		ok         bool
	}{
		{"IAM role", c.roleName() + auto, roleNameMax, roleRE.MatchString(c.roleName())},
		{"security group", c.securityGroupName() + auto, securityGroupNameMax, !strings.HasPrefix(c.securityGroupName(), "sg-")},
		{"key pair", c.keyNamePrefix() + prefixed, keyNameMax, true},
		{"S3 bucket", c.bucketPrefix() + prefixed, 63, bucketRE.MatchString(c.bucketPrefix() + prefixed)},
	}
	for _, img := range c.Images {
		n := c.repositoryName(img) + auto
		checks = append(checks, struct {
			what, name string
			max        int
			ok         bool
		}{"ECR repository", n, repositoryNameMax, repositoryRE.MatchString(n)})
	}
	for _, ch := range checks {
		if len(ch.name) > ch.max || !ch.ok {
			return fmt.Errorf("project %q, environment %q: the %s name %q breaks AWS's naming rules (at most %d characters)",
				c.Project, c.Env, ch.what, ch.name, ch.max)
		}
	}
	return nil
}
