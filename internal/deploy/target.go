// Package deploy runs a project's stack on its target: this machine's
// Docker (local), a host reached over SSH (ssh), or an AWS environment
// provisioned with Pulumi (aws). Open prepares a target without doing
// any work; Up declares one list of named steps per target and runs it
// as one status sequence; the other commands reach the running stack
// through Project and Conn.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
)

// The targets: where a project's stack runs.
const (
	Local = "local"
	SSH   = "ssh"
	AWS   = "aws"
)

// Options tune how a target is reached, beyond mlforge.yaml.
type Options struct {
	// AcceptNew trusts and records the key of an SSH host not yet in
	// known_hosts (a changed key is always refused).
	AcceptNew bool
}

// Target is where one project's stack runs.
type Target struct {
	Kind   string
	Dir    string // the project directory on this machine
	Config *config.Resolved

	deps  Deps
	host  sshx.Options // ssh: the configured host
	aws   *awsEnv      // aws: the environment
	swarm *swarmTarget // swarm: the hosts
	conn  *remote.Conn // the open connection (a swarm's first manager), once reached
}

// Open prepares the target mlforge.yaml (with flags applied) names. It
// checks what can be checked without a network and does no work.
func Open(deps Deps, dir string, cfg *config.Resolved, opts Options) (*Target, error) {
	t := &Target{Kind: cfg.Target, Dir: dir, Config: cfg, deps: deps}
	if err := checkEnvFile(dir, cfg.Compose.EnvFile); err != nil {
		return nil, err
	}
	switch cfg.Target {
	case Local:
	case SSH:
		h, err := sshHost(cfg, opts)
		if err != nil {
			return nil, err
		}
		t.host = h
	case AWS:
		env, err := newAWSEnv(deps, cfg)
		if err != nil {
			return nil, err
		}
		t.aws = env
		if t.IsSwarm() {
			t.swarm = &swarmTarget{}
		}
	case Swarm:
		st, err := swarmHosts(cfg, opts)
		if err != nil {
			return nil, err
		}
		t.swarm = st
	default:
		return nil, errs.Usage(fmt.Errorf("--target %q: use local, ssh, aws or swarm", cfg.Target))
	}
	return t, nil
}

// checkEnvFile refuses a configured env file that does not exist: compose
// would fail on it later with less to say. Compose's own default, .env,
// may be absent.
func checkEnvFile(dir, envFile string) error {
	if stack.EnvFileArg(envFile) == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, envFile)); err != nil {
		return errs.WithHint(fmt.Errorf("compose.envFile %s: %w", envFile, errors.Unwrap(err)),
			"create it (the template's `make env` writes one) or correct compose.envFile in mlforge.yaml")
	}
	return nil
}

// sshHost is the configured host of target ssh with how to trust and log
// in to it.
func sshHost(cfg *config.Resolved, opts Options) (sshx.Options, error) {
	if cfg.SSH.Host == "" {
		return sshx.Options{}, errs.WithHint(errs.Usage(errors.New("target ssh needs a host")),
			"pass --host user@address[:port] or set ssh.host in mlforge.yaml")
	}
	o, err := sshx.Parse(cfg.SSH.Host)
	if err != nil {
		return sshx.Options{}, errs.Usage(fmt.Errorf("--host: %w", err))
	}
	o.IdentityFile, o.KnownHostsFile, o.AcceptNew = cfg.SSH.Identity, cfg.SSH.KnownHosts, opts.AcceptNew
	if o.IdentityFile != "" {
		if _, err := os.Stat(o.IdentityFile); err != nil {
			return o, errs.Usage(fmt.Errorf("--identity %s: %w", o.IdentityFile, errors.Unwrap(err)))
		}
	}
	return o, nil
}

// Remote reports whether the stack runs on another machine.
func (t *Target) Remote() bool { return t.Kind != Local }

// Project returns the stack where it runs: on this machine, or on the
// host over SSH (connecting first; an aws host is found from the
// environment's outputs and its pinned key, nothing else).
func (t *Target) Project(ctx context.Context) (*stack.Project, error) {
	if !t.Remote() {
		return stack.NewLocal(t.Dir, t.Config, nil), nil
	}
	c, err := t.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return c.Project, nil
}

// Conn connects to the host of a remote target (once; Close ends it).
func (t *Target) Conn(ctx context.Context) (*remote.Conn, error) {
	if t.conn != nil {
		return t.conn, nil
	}
	if !t.Remote() {
		return nil, errs.WithHint(errs.Usage(errors.New("the stack runs on this machine (target local): its ports are already on 127.0.0.1")),
			"use --target ssh --host user@address for a remote host")
	}
	o, err := t.Host(ctx)
	if err != nil {
		return nil, err
	}
	c, err := remote.Open(ctx, o, t.Config)
	if err != nil {
		return nil, connectError(o, err)
	}
	t.conn = c
	return c, nil
}

// Host is how to reach the target's host: the configured one, or the aws
// environment's instance with its pinned host key.
func (t *Target) Host(ctx context.Context) (sshx.Options, error) {
	if t.aws != nil {
		inst, err := t.aws.instance(ctx)
		if err != nil {
			return sshx.Options{}, err
		}
		return inst.SSHOptions(), nil
	}
	if t.swarm != nil {
		return t.swarm.hosts[0].ssh, nil
	}
	return t.host, nil
}

// Close ends the connection to the host, if any.
func (t *Target) Close() error {
	t.closeSwarm()
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn = nil
	return err
}

// connectError wraps a failure to reach a host with what to do next.
func connectError(o sshx.Options, err error) error {
	err = fmt.Errorf("connecting to %s: %w", o.Address(), err)
	if hint := sshx.Hint(err); hint != "" {
		return errs.WithHint(err, hint)
	}
	return err
}
