package cli

import (
	"github.com/spf13/pflag"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/deploy"
)

// targetFlags choose where a command acts: the environment, the target
// and, for ssh, how to reach and trust the host.
type targetFlags struct {
	Env        string
	Target     string
	Host       string
	Identity   string
	KnownHosts string
	AcceptNew  bool
}

func (t *targetFlags) add(fl *pflag.FlagSet) {
	t.addEnv(fl)
	fl.StringVar(&t.Host, "host", "", "host for target ssh, user@address[:port] (default: ssh.host)")
	fl.StringVarP(&t.Identity, "identity", "i", "", "private key file for the host (default: ssh.identity, else ssh-agent and ~/.ssh/id_*)")
	fl.StringVar(&t.KnownHosts, "known-hosts", "", "known_hosts file (default: ssh.knownHosts, else ~/.ssh/known_hosts)")
	fl.BoolVar(&t.AcceptNew, "accept-new", false, "trust and record the key of a host not yet in known_hosts")
}

// addEnv adds only --env and --target (the aws infrastructure commands).
func (t *targetFlags) addEnv(fl *pflag.FlagSet) {
	fl.StringVar(&t.Env, "env", "", "environment from mlforge.yaml (default: dev)")
	fl.StringVar(&t.Target, "target", "", "local, ssh, aws or swarm (default: mlforge.yaml's target)")
}

// resolve loads the project and applies the flags to its configuration.
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
		if cfg.Target == deploy.Local && t.Target == "" {
			cfg.Target = deploy.SSH
		}
	}
	if t.Identity != "" {
		cfg.SSH.Identity = t.Identity
	}
	if t.KnownHosts != "" {
		cfg.SSH.KnownHosts = t.KnownHosts
	}
	return dir, cfg, nil
}

// open resolves the project and opens its target (no work is done yet).
func (t *targetFlags) open(f *Factory) (*deploy.Target, error) {
	dir, cfg, err := t.resolve(f)
	if err != nil {
		return nil, err
	}
	return deploy.Open(f.Deploy, dir, cfg, deploy.Options{AcceptNew: t.AcceptNew})
}
