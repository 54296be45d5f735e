package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// Swarm is the target of several hosts forming a Docker Swarm.
const Swarm = "swarm"

// swarmHost is one configured host of a swarm.
type swarmHost struct {
	ssh      sshx.Options
	manager  bool
	training bool
	// addr is the address the other nodes reach it at ("" to detect).
	addr string
}

// swarmTarget is the hosts of target swarm, and the connections open to
// them besides the first manager's (Target.conn).
type swarmTarget struct {
	hosts []swarmHost // managers first, in configured order
	conns []*remote.Conn
}

// IsSwarm reports whether the stack runs on a swarm: target swarm, or
// target aws with workers.
func (t *Target) IsSwarm() bool {
	return t.Kind == Swarm || (t.Kind == AWS && t.Config.AWS.Workers > 0)
}

// swarmHosts reads swarm.managers and swarm.workers, with the ssh
// section's identity and known_hosts, as target ssh reaches its host.
func swarmHosts(cfg *config.Resolved, opts Options) (*swarmTarget, error) {
	if len(cfg.Swarm.Managers) == 0 {
		return nil, errs.WithHint(errs.Usage(errors.New("target swarm needs at least one manager")),
			"list user@address[:port] hosts under swarm.managers (and swarm.workers) in mlforge.yaml")
	}
	if cfg.SSH.Identity != "" {
		if _, err := os.Stat(cfg.SSH.Identity); err != nil {
			return nil, errs.Usage(fmt.Errorf("--identity %s: %w", cfg.SSH.Identity, errors.Unwrap(err)))
		}
	}
	training := map[string]bool{}
	for _, h := range cfg.Swarm.Training {
		if o, err := sshx.Parse(h); err == nil {
			training[o.Address()] = true
		}
	}
	st := &swarmTarget{}
	lists := []struct {
		key     string
		hosts   []string
		manager bool
	}{{"swarm.managers", cfg.Swarm.Managers, true}, {"swarm.workers", cfg.Swarm.Workers, false}}
	for _, l := range lists {
		for i, s := range l.hosts {
			o, err := sshx.Parse(s)
			if err != nil {
				return nil, errs.Usage(fmt.Errorf("%s[%d]: %w", l.key, i, err))
			}
			o.IdentityFile, o.KnownHostsFile, o.AcceptNew = cfg.SSH.Identity, cfg.SSH.KnownHosts, opts.AcceptNew
			st.hosts = append(st.hosts, swarmHost{ssh: o, manager: l.manager, training: training[o.Address()]})
		}
	}
	defaultTraining(st.hosts, len(training) > 0)
	return st, nil
}

// defaultTraining labels the workers for training when the
// configuration names no training host, or the first manager when there
// is no worker.
func defaultTraining(hosts []swarmHost, named bool) {
	if named {
		return
	}
	workers := 0
	for i := range hosts {
		if !hosts[i].manager {
			hosts[i].training = true
			workers++
		}
	}
	if workers == 0 && len(hosts) > 0 {
		hosts[0].training = true
	}
}

// awsSwarmHosts are an AWS environment's hosts as its outputs describe
// them: the instance as the manager, the workers with their own pinned
// host keys, each advertising its private address (the swarm ports are
// open only inside the security group). Every host has a public address
// (the program associates one), so each is reached directly, with the
// environment's login key: no jump host.
func awsSwarmHosts(manager provision.Instance, out map[string]provision.Output) ([]swarmHost, error) {
	priv, _ := out[awsstack.OutPrivateIP].Value.(string)
	hosts := []swarmHost{{ssh: manager.SSHOptions(), manager: true, addr: priv}}
	workers, err := workerInstances(manager, out)
	if err != nil {
		return nil, err
	}
	list, _ := out[awsstack.OutWorkers].Value.([]any)
	for i, w := range workers {
		if w.Address == "" {
			return nil, fmt.Errorf("the environment's outputs give worker %d no public address (%s); run `mlforge refresh`, then `mlforge up` again",
				i+1, awsstack.OutWorkers)
		}
		m, _ := list[i].(map[string]any)
		private, _ := m["privateIp"].(string)
		hosts = append(hosts, swarmHost{ssh: w.SSHOptions(), addr: private})
	}
	defaultTraining(hosts, false)
	return hosts, nil
}

// swarmHostList is the target's hosts: configured, or on AWS read from
// the environment's outputs and the pinned keys.
func (t *Target) swarmHostList(ctx context.Context) ([]swarmHost, error) {
	if t.Kind != AWS {
		return t.swarm.hosts, nil
	}
	inst, err := t.aws.instance(ctx)
	if err != nil {
		return nil, err
	}
	out, _, err := t.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	return awsSwarmHosts(*inst, out)
}

// closeSwarm ends the connections to the swarm's other hosts.
func (t *Target) closeSwarm() {
	if t.swarm == nil {
		return
	}
	for _, c := range t.swarm.conns {
		c.Close()
	}
	t.swarm.conns = nil
}
