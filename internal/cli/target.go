package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// targetFlags choose where a command acts: the target and, for ssh, how
// to reach and trust the host.
type targetFlags struct {
	Env        string
	Target     string
	Host       string
	Identity   string
	KnownHosts string
	AcceptNew  bool
}

func (t *targetFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&t.Env, "env", "", "environment from mlforge.yaml (default: dev)")
	fl.StringVar(&t.Target, "target", "", "local, ssh or aws (default: mlforge.yaml's target)")
	fl.StringVar(&t.Host, "host", "", "host for target ssh, user@address[:port] (default: ssh.host)")
	fl.StringVarP(&t.Identity, "identity", "i", "", "private key file for the host (default: ssh.identity, else ssh-agent and ~/.ssh/id_*)")
	fl.StringVar(&t.KnownHosts, "known-hosts", "", "known_hosts file (default: ssh.knownHosts, else ~/.ssh/known_hosts)")
	fl.BoolVar(&t.AcceptNew, "accept-new", false, "trust and record the key of a host not yet in known_hosts")
}

// resolve loads the project and applies --target and --host.
func (t *targetFlags) resolve(f *Factory) (string, *config.Resolved, error) {
	dir, cfg, err := loadProject(f, t.Env)
	if err != nil {
		return "", nil, err
	}
	if t.Target != "" {
		cfg.Target = t.Target
	}
	if t.Host != "" {
		cfg.SSH.Host = t.Host
		if cfg.Target == "local" && t.Target == "" {
			cfg.Target = "ssh"
		}
	}
	switch cfg.Target {
	case "local", "ssh", "aws":
	default:
		return "", nil, errs.Usage(fmt.Errorf("--target %q: use local, ssh or aws", cfg.Target))
	}
	return dir, cfg, nil
}

// sshOptions turns the configuration and flags into connection options.
func (t *targetFlags) sshOptions(cfg *config.Resolved) (sshx.Options, error) {
	if cfg.SSH.Host == "" {
		return sshx.Options{}, errs.WithHint(errs.Usage(errors.New("target ssh needs a host")),
			"pass --host user@address[:port] or set ssh.host in mlforge.yaml")
	}
	o, err := sshx.Parse(cfg.SSH.Host)
	if err != nil {
		return sshx.Options{}, errs.Usage(fmt.Errorf("--host: %w", err))
	}
	o.IdentityFile, o.KnownHostsFile, o.AcceptNew = cfg.SSH.Identity, cfg.SSH.KnownHosts, t.AcceptNew
	if t.Identity != "" {
		o.IdentityFile = t.Identity
	}
	if t.KnownHosts != "" {
		o.KnownHostsFile = t.KnownHosts
	}
	if o.IdentityFile != "" {
		if _, err := os.Stat(o.IdentityFile); err != nil {
			return o, errs.Usage(fmt.Errorf("--identity %s: %w", o.IdentityFile, errors.Unwrap(err)))
		}
	}
	return o, nil
}

// hostOptions returns how to reach the host of a remote target: the
// configured or given SSH host, or the aws environment's host (from its
// stack outputs, host key pinned).
func (t *targetFlags) hostOptions(ctx context.Context, f *Factory, dir string, cfg *config.Resolved) (sshx.Options, error) {
	if cfg.Target != "aws" {
		return t.sshOptions(cfg)
	}
	env, err := openAWS(ctx, f, dir, cfg, false)
	if err != nil {
		return sshx.Options{}, err
	}
	out, err := env.engine.Outputs(ctx)
	if err != nil {
		return sshx.Options{}, err
	}
	host, err := env.setup.HostFromOutputs(out)
	if err != nil {
		return sshx.Options{}, errs.WithHint(err, fmt.Sprintf("create the environment first with `mlforge up --target aws --env %s`", cfg.Env))
	}
	return host.SSHOptions(), nil
}

// deploymentFromOutputs reads what deploying to the aws environment needs
// from its outputs: the ECR repositories by image name with a login through
// the ECR API, and the settings that put the MLflow artifact store on the
// environment's bucket.
func deploymentFromOutputs(out map[string]provision.Output, region string, cfg *config.Resolved) (*deployment, error) {
	d := &deployment{repos: repositoryURLs(out)}
	bucket, _ := out[awsstack.OutBucket].Value.(string)
	var err error
	if d.settings, err = awsSettings(bucket, region); err != nil {
		return nil, errs.WithHint(err, fmt.Sprintf("run `mlforge refresh --env %s`, then `mlforge up --env %s` again", cfg.Env, cfg.Env))
	}
	d.login = func(ctx context.Context) (remote.Credentials, error) {
		client, err := awsDeps.NewAWS(ctx, region)
		if err != nil {
			return remote.Credentials{}, err
		}
		a, err := client.RegistryLogin(ctx)
		if err != nil {
			return remote.Credentials{}, err
		}
		return remote.Credentials{Server: a.Host(), Username: a.Username, Password: a.Password}, nil
	}
	return d, nil
}

// repositoryURLs are the environment's ECR repositories by image name.
func repositoryURLs(out map[string]provision.Output) map[string]string {
	repos := map[string]string{}
	if m, ok := out[awsstack.OutRepositoryURLs].Value.(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				repos[k] = s
			}
		}
	}
	return repos
}

// awsSettings are the compose variables of a stack on AWS: MLflow keeps
// its artifacts in the environment's bucket (reached through the
// instance role) instead of on the host's volume.
func awsSettings(bucket, region string) (map[string]string, error) {
	if bucket == "" {
		return nil, fmt.Errorf("the environment's outputs name no artifact bucket (%s)", awsstack.OutBucket)
	}
	return map[string]string{
		"MLFLOW_ARTIFACTS_DESTINATION": "s3://" + bucket + "/mlflow",
		"AWS_DEFAULT_REGION":           region,
	}, nil
}

// openProject returns the project's stack on its target, and a function
// releasing the connection.
func (t *targetFlags) openProject(ctx context.Context, f *Factory) (*stack.Project, func(), error) {
	dir, cfg, err := t.resolve(f)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Target == "local" {
		return stack.NewLocal(dir, cfg, nil), func() {}, nil
	}
	o, err := t.hostOptions(ctx, f, dir, cfg)
	if err != nil {
		return nil, nil, err
	}
	rt, err := remote.Open(ctx, o, cfg)
	if err != nil {
		return nil, nil, errs.WithHint(fmt.Errorf("connecting to %s: %w", o.Address(), err), bootstrapHint(err))
	}
	return rt.Project, func() { rt.Close() }, nil
}

// openRemote connects to the host of a remote target for commands that
// only make sense there (tunnel, ssh).
func (t *targetFlags) openRemote(ctx context.Context, f *Factory) (*remote.Conn, *config.Resolved, error) {
	dir, cfg, err := t.resolve(f)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Target == "local" {
		return nil, nil, errs.WithHint(errs.Usage(errors.New("the stack runs on this machine (target local): its ports are already on 127.0.0.1")),
			"use --target ssh --host user@address for a remote host")
	}
	o, err := t.hostOptions(ctx, f, dir, cfg)
	if err != nil {
		return nil, nil, err
	}
	rt, err := remote.Open(ctx, o, cfg)
	if err != nil {
		return nil, nil, errs.WithHint(fmt.Errorf("connecting to %s: %w", o.Address(), err), bootstrapHint(err))
	}
	return rt, cfg, nil
}
