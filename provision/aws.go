package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlforge/mlforge/internal/config"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HomeEnv overrides the mlforge directory (~/.mlforge).
const HomeEnv = "MLFORGE_HOME"

// Home returns the mlforge directory: $MLFORGE_HOME or ~/.mlforge.
func Home(getenv func(string) string) (string, error) {
	if h := getenv(HomeEnv); h != "" {
		return h, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory: %w (set %s)", err, HomeEnv)
	}
	return filepath.Join(home, ".mlforge"), nil
}

// NoncurrentDays is how long replaced artifact versions are kept.
const NoncurrentDays = 30

// AWSInputs is what PrepareAWS needs besides the configuration.
type AWSInputs struct {
	Cfg        *config.Resolved
	ProjectDir string // holds the compose file
	KeyDir     string // the environment's key directory (EnvDir)
	DeleteData bool
	// CallerCIDR detects the caller's /32 when aws.sshCidrs is empty.
	CallerCIDR func(ctx context.Context) (string, error)
}

// AWSSetup is one environment's program configuration and keys.
type AWSSetup struct {
	Stack  awsstack.Config
	Keys   *Keys
	Region string
}

// PrepareAWS loads (or generates) the environment's keys, renders the
// host's cloud-init and resolves the SSH allow-list and images.
func PrepareAWS(ctx context.Context, in AWSInputs) (*AWSSetup, error) {
	c := in.Cfg
	keys, err := EnvKeys(in.KeyDir)
	if err != nil {
		return nil, err
	}
	fp, err := keys.HostKeyFingerprint()
	if err != nil {
		return nil, err
	}
	images, err := BuiltImages(filepath.Join(in.ProjectDir, c.Compose.File))
	if err != nil {
		return nil, fmt.Errorf("compose.file: %w", err)
	}
	cidrs := c.AWS.SSHCidrs
	if len(cidrs) == 0 {
		if in.CallerCIDR == nil {
			return nil, fmt.Errorf("aws.sshCidrs is empty and the caller's address cannot be detected; list your networks in aws.sshCidrs")
		}
		cidr, err := in.CallerCIDR(ctx)
		if err != nil {
			return nil, fmt.Errorf("aws.sshCidrs is empty and detecting your public address failed: %w; list your networks in aws.sshCidrs", err)
		}
		cidrs = []string{cidr}
	}
	hosts, err := hostUserData(c, keys, in.KeyDir)
	if err != nil {
		return nil, err
	}
	sc := awsstack.Config{
		Project: c.Project, Env: c.Env, InstanceType: c.AWS.InstanceType, Spot: c.AWS.Spot,
		VolumeSize: c.AWS.VolumeSize, AMI: c.AWS.AMI, SSHUser: c.AWS.SSHUser, SSHCidrs: cidrs,
		AllowWideSSH: c.AWS.AllowWideSSH, DataVolumeSize: c.AWS.DataVolumeSize,
		Images: images, KeepImages: c.AWS.KeepImages, NoncurrentDays: NoncurrentDays,
		PublicKey: keys.PublicKey, HostKey: keys.Host.Public, HostKeyFingerprint: fp,
		ManagerUserData: hosts.manager, Workers: hosts.workers, DeleteData: in.DeleteData,
		Keys: StateKeys(keys, in.KeyDir),
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &AWSSetup{Stack: sc, Keys: keys, Region: c.AWS.Region}, nil
}

// Program is the environment's Pulumi program.
func (s *AWSSetup) Program() pulumi.RunFunc { return awsstack.Program(s.Stack) }

// OutSSHPort is an optional output naming the host's SSH port; without it
// (the AWS program exports none) the port is 22.
const OutSSHPort = "sshPort"

// InstanceFromOutputs builds the SSH target from the stack outputs. The
// host key pinned is keys' (this machine's copy may be newer than the
// outputs' after the first-boot key was replaced); a host presenting
// another key is refused when connecting.
func InstanceFromOutputs(out map[string]Output, keys *Keys) (*Instance, error) {
	str := func(k string) string { v, _ := out[k].Value.(string); return v }
	fp, err := keys.HostKeyFingerprint()
	if err != nil {
		return nil, err
	}
	port := 22
	if v, ok := out[OutSSHPort].Value.(float64); ok && v > 0 && v < 65536 {
		port = int(v)
	}
	h := &Instance{
		InstanceID: str(awsstack.OutInstanceID), Address: str(awsstack.OutPublicIP), Port: port,
		User: str(awsstack.OutSSHUser), KeyFile: keys.KeyFile, HostKey: keys.Host.Public,
		HostKeyFingerprint: fp,
	}
	if h.InstanceID == "" || h.User == "" {
		return nil, fmt.Errorf("the environment's outputs lack the instance id or SSH user (got %v); run `mlforge refresh`, then `mlforge up` again", out)
	}
	return h, nil
}
