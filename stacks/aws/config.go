// Package aws is the Pulumi program behind target aws: a plain function from
// a typed Config to the resources of one environment (an S3 artifact bucket,
// one ECR repository per built image, an IAM role scoped to both, a security
// group open to SSH only from given networks, a key pair and one EC2 host
// whose cloud-init installs Docker and pinned SSH host keys) and its outputs.
// It does no I/O besides Pulumi; the provision package runs it.
package aws

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// UbuntuParameter is the SSM public parameter naming the current Ubuntu
// 24.04 AMI; %s is the architecture (amd64 or arm64).
const UbuntuParameter = "/aws/service/canonical/ubuntu/server/24.04/stable/current/%s/hvm/ebs-gp3/ami-id"

// Config is everything the program needs, resolved by the caller.
type Config struct {
	Project      string   // project name; prefixes resource names and tags every resource
	Env          string   // environment name (dev, prod, ...)
	InstanceType string   // EC2 instance type, GPU types allowed
	Spot         bool     // run the host as a one-time spot instance
	VolumeSize   int      // root volume in GiB (encrypted gp3)
	AMI          string   // explicit AMI id; empty means Ubuntu 24.04 from SSM
	SSHUser      string   // login user of the AMI
	SSHCidrs     []string // networks allowed to reach port 22; never empty
	Images       []string // images the project builds: one ECR repository each
	KeepImages   int      // images kept per repository by its lifecycle policy
	// NoncurrentDays is how long old versions of artifacts are kept.
	NoncurrentDays int
	// PublicKey is the environment's own SSH public key (authorized_keys line).
	PublicKey string
	// HostKeyFingerprint is the SHA256 fingerprint of the pre-generated host
	// key installed by UserData; exported so the client pins it.
	HostKeyFingerprint string
	// UserData is the cloud-init document; it carries host private keys and
	// is therefore kept as a secret in the state.
	UserData string
	// DeleteData lets destroy remove the bucket and repositories with their
	// contents; otherwise they are retained when the stack is destroyed.
	DeleteData bool
}

var (
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	imageRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)
	typeRE     = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	armTypeRE  = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)
	amiRE      = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	pubKeyRE   = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+( .*)?$`)
	sha256FpRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
)

// Validate reports the first field that cannot produce a working host,
// naming it the way mlforge.yaml does.
func (c Config) Validate() error {
	switch {
	case !nameRE.MatchString(c.Project):
		return fmt.Errorf("project %q: use 1-31 lower-case letters, digits and dashes, starting with a letter", c.Project)
	case !nameRE.MatchString(c.Env):
		return fmt.Errorf("environment %q: use 1-31 lower-case letters, digits and dashes, starting with a letter", c.Env)
	case !typeRE.MatchString(c.InstanceType):
		return fmt.Errorf("aws.instanceType %q: expected FAMILY.SIZE such as t3.large or g5.xlarge", c.InstanceType)
	case c.VolumeSize < 8 || c.VolumeSize > 16384:
		return fmt.Errorf("aws.volumeSize %d: must be between 8 and 16384 GiB", c.VolumeSize)
	case c.AMI != "" && !amiRE.MatchString(c.AMI):
		return fmt.Errorf("aws.ami %q: expected ami-<hex id>", c.AMI)
	case !userRE.MatchString(c.SSHUser):
		return fmt.Errorf("aws.sshUser %q: not a valid login name", c.SSHUser)
	case c.KeepImages < 1:
		return fmt.Errorf("aws.keepImages %d: must be at least 1", c.KeepImages)
	case c.NoncurrentDays < 1:
		return fmt.Errorf("noncurrent version expiry %d: must be at least 1 day", c.NoncurrentDays)
	case !pubKeyRE.MatchString(strings.TrimSpace(c.PublicKey)):
		return fmt.Errorf("environment SSH public key: not an authorized_keys line (%.20q...)", c.PublicKey)
	case !sha256FpRE.MatchString(c.HostKeyFingerprint):
		return fmt.Errorf("host key fingerprint %q: expected SHA256:<base64>", c.HostKeyFingerprint)
	case strings.TrimSpace(c.UserData) == "":
		return fmt.Errorf("user data: empty; the host would have no Docker and no pinned host key")
	}
	if len(c.SSHCidrs) == 0 {
		return fmt.Errorf("aws.sshCidrs: empty; SSH must be limited to known networks (the caller's /32 by default)")
	}
	for _, cidr := range c.SSHCidrs {
		ip, n, err := net.ParseCIDR(cidr)
		if err != nil || ip.To4() == nil {
			return fmt.Errorf("aws.sshCidrs: %q is not an IPv4 CIDR such as 203.0.113.7/32", cidr)
		}
		if ones, _ := n.Mask.Size(); ones == 0 {
			return fmt.Errorf("aws.sshCidrs: %q opens SSH to the whole internet; list your own networks", cidr)
		}
	}
	seen := map[string]bool{}
	for _, img := range c.Images {
		if !imageRE.MatchString(img) {
			return fmt.Errorf("image %q: ECR names use lower-case letters, digits, '.', '_' and '-'", img)
		}
		if seen[img] {
			return fmt.Errorf("image %q: listed twice", img)
		}
		seen[img] = true
	}
	return nil
}

// Arch is the AMI architecture an instance type needs: arm64 for Graviton
// families (t4g, c7g, m7gd, g5g, ...), amd64 otherwise.
func Arch(instanceType string) string {
	if armTypeRE.MatchString(instanceType) {
		return "arm64"
	}
	return "amd64"
}

// prefix is the physical name prefix of this environment's resources.
func (c Config) prefix() string { return c.Project + "-" + c.Env }

// tags are set on every taggable resource.
func (c Config) tags(name string) map[string]string {
	return map[string]string{
		"mlforge:project":     c.Project,
		"mlforge:environment": c.Env,
		"Name":                c.prefix() + "-" + name,
	}
}
