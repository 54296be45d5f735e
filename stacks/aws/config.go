// Package aws is the Pulumi program behind target aws: a plain function from
// a typed Config to the resources of one environment (an S3 artifact bucket,
// one ECR repository per built image, an IAM role scoped to both, a data
// volume for the stack's Docker volumes, a security group open to SSH only
// from given networks, a key pair, the EC2 host whose cloud-init installs
// Docker and pinned SSH host keys, and optional swarm workers) and its
// outputs. Validate checks every input against the limits AWS enforces
// before anything is called; what outlives a destroy (bucket, data volume)
// is found by its tags and adopted by the next up. It does no I/O besides
// Pulumi; the provision package runs it.
package aws

import (
	"fmt"
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
	Spot         bool     // run the hosts as spot instances (persistent request, stopped on interruption)
	VolumeSize   int      // root volume in GiB (encrypted gp3)
	AMI          string   // explicit AMI id; empty means Ubuntu 24.04 from SSM
	SSHUser      string   // login user of the AMI
	SSHCidrs     []string // networks allowed to reach port 22; never empty
	// AllowWideSSH accepts SSH networks wider than /16 (IPv4) or /48
	// (IPv6); the security group rule then says so.
	AllowWideSSH bool
	Images       []string // repository keys of the images the project builds: one ECR repository each
	KeepImages   int      // images kept per repository by its lifecycle policy
	// NoncurrentDays is how long old versions of artifacts are kept.
	NoncurrentDays int
	// DataVolumeSize is the data volume in GiB (encrypted gp3, kept unless
	// DeleteData) holding Docker's named volumes; 0 means
	// DefaultDataVolumeSize.
	DataVolumeSize int
	// PublicKey is the environment's own SSH public key (authorized_keys line).
	PublicKey string
	// HostKeyFingerprint is the SHA256 fingerprint of the manager's
	// pre-generated host key installed by its user data; exported so the
	// client pins it.
	HostKeyFingerprint string
	// HostKey is that host key's public half (authorized_keys format),
	// exported so any client with the outputs can pin it; optional.
	HostKey string
	// Keys is the environment's SSH material, kept in the state as
	// secrets so a teammate or a CI runner with the backend and the
	// passphrase reaches the same host; optional.
	Keys *StateKeys
	// UserData is the manager's cloud-init document (bootstrap.CloudInit);
	// the program hands it to EC2 gzip-compressed. It is used when
	// ManagerUserData is nil, and then carries no data device.
	UserData string
	// ManagerUserData, when set, renders the manager's user data as EC2
	// stores it (for example bootstrap.UserData with Gzip), given the paths
	// under which the data volume appears on the host (DataDevices), so its
	// first boot mounts the volume before Docker starts.
	ManagerUserData UserDataFunc
	// Workers are the swarm worker hosts next to the manager.
	Workers []Worker
	// DeleteData lets destroy remove the bucket, repositories and data
	// volume with their contents; otherwise they are retained when the
	// stack is destroyed, and adopted again by the next up.
	DeleteData bool
}

// StateKeys are the SSH keys an environment keeps in its state.
type StateKeys struct {
	LoginPrivate   string // the login key (OpenSSH PEM)
	LoginPublic    string // its authorized_keys line
	HostPrivate    string // the manager's pinned host key (OpenSSH PEM)
	HostPublic     string
	HostRotatedFor string // the instance whose first-boot host key was replaced by HostPrivate ("" before)
}

// UserDataFunc renders a host's user data as EC2 stores it: the raw bytes
// before base64, plain or gzip-compressed cloud-config. dataDevices are
// the device paths of the host's data volume, nil for a host without one.
// User data carries host private keys and is kept as a secret in the state.
type UserDataFunc func(dataDevices []string) ([]byte, error)

// Worker is one swarm worker host: its own user data (the same install
// script, its own host key) and that host key, exported for pinning.
type Worker struct {
	UserData           []byte // raw user data as EC2 stores it (bootstrap.UserData)
	HostKey            string // public host key, authorized_keys format
	HostKeyFingerprint string // SHA256:... of HostKey
}

// Limits of the program's inputs.
const (
	// MaxWorkers bounds aws.workers.
	MaxWorkers = 20
	// DefaultDataVolumeSize is the data volume's size in GiB when none is set.
	DefaultDataVolumeSize = 20
	// UserDataMax is EC2's limit on user data: 16 KB in raw form, before
	// base64 encoding (RunInstances UserData).
	UserDataMax = 16 * 1024
	// minSSHBits4 and minSSHBits6 are the widest SSH networks accepted
	// without AllowWideSSH: a /16 (65,536 IPv4 addresses) and a /48 (one
	// site's IPv6 allocation).
	minSSHBits4, minSSHBits6 = 16, 48
)

var (
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,38}[a-z0-9]$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)
	typeRE     = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	armTypeRE  = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*\.`)
	amiRE      = regexp.MustCompile(`^ami-[0-9a-f]{8,17}$`)
	pubKeyRE   = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+( .*)?$`)
	sha256FpRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)
)

// Validate reports the first field that cannot produce a working
// environment, naming it the way mlforge.yaml does, before any call to
// AWS: plain fields, SSH networks, names, tags and user data, each against
// the limit AWS would enforce.
func (c Config) Validate() error {
	for _, check := range []func() error{c.checkFields, c.checkKeys, c.checkSSH, c.checkImages, c.checkNames, c.checkTags, c.checkUserData} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) checkFields() error {
	switch {
	case !nameRE.MatchString(c.Project):
		return fmt.Errorf("project %q: use 2-40 lower-case letters, digits and dashes, starting with a letter", c.Project)
	case !nameRE.MatchString(c.Env):
		return fmt.Errorf("environment %q: use 2-40 lower-case letters, digits and dashes, starting with a letter", c.Env)
	case !typeRE.MatchString(c.InstanceType):
		return fmt.Errorf("aws.instanceType %q: expected FAMILY.SIZE such as t3.large or g5.xlarge", c.InstanceType)
	case c.VolumeSize < 8 || c.VolumeSize > 16384:
		return fmt.Errorf("aws.volumeSize %d: must be between 8 and 16384 GiB", c.VolumeSize)
	case c.DataVolumeSize < 0 || c.DataVolumeSize > 16384:
		// gp3 volumes are 1-16384 GiB (EBS volume types).
		return fmt.Errorf("aws.dataVolumeSize %d: must be between 1 and 16384 GiB", c.DataVolumeSize)
	case c.AMI != "" && !amiRE.MatchString(c.AMI):
		return fmt.Errorf("aws.ami %q: expected ami-<hex id>", c.AMI)
	case !userRE.MatchString(c.SSHUser):
		return fmt.Errorf("aws.sshUser %q: not a valid login name", c.SSHUser)
	case c.KeepImages < 1:
		return fmt.Errorf("aws.keepImages %d: must be at least 1", c.KeepImages)
	case c.NoncurrentDays < 1:
		return fmt.Errorf("noncurrent version expiry %d: must be at least 1 day", c.NoncurrentDays)
	case len(c.Workers) > MaxWorkers:
		return fmt.Errorf("aws.workers %d: at most %d workers", len(c.Workers), MaxWorkers)
	}
	return nil
}

func (c Config) checkKeys() error {
	switch {
	case !pubKeyRE.MatchString(strings.TrimSpace(c.PublicKey)):
		return fmt.Errorf("environment SSH public key: not an authorized_keys line (%.20q...)", c.PublicKey)
	case !sha256FpRE.MatchString(c.HostKeyFingerprint):
		return fmt.Errorf("host key fingerprint %q: expected SHA256:<base64>", c.HostKeyFingerprint)
	case c.HostKey != "" && !pubKeyRE.MatchString(c.HostKey):
		return fmt.Errorf("host key: not an authorized_keys line (%.20q...)", c.HostKey)
	case c.ManagerUserData == nil && strings.TrimSpace(c.UserData) == "":
		return fmt.Errorf("user data: empty; the host would have no Docker and no pinned host key")
	}
	for i, w := range c.Workers {
		switch {
		case len(w.UserData) == 0:
			return fmt.Errorf("worker %d: user data empty; the worker would have no Docker and no pinned host key", i+1)
		case !pubKeyRE.MatchString(w.HostKey):
			return fmt.Errorf("worker %d: host key is not an authorized_keys line (%.20q...)", i+1, w.HostKey)
		case !sha256FpRE.MatchString(w.HostKeyFingerprint):
			return fmt.Errorf("worker %d: host key fingerprint %q: expected SHA256:<base64>", i+1, w.HostKeyFingerprint)
		}
	}
	return nil
}

func (c Config) checkImages() error {
	seen := map[string]bool{}
	for _, img := range c.Images {
		if len(img) < 1 || len(img) > 128 || !repositoryRE.MatchString(img) || strings.Contains(img, "/") {
			return fmt.Errorf("image %q: ECR names use lower-case letters and digits separated by '.', '_', '__' or dashes", img)
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
