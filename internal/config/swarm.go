package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/sshx"
)

// validateSwarm checks the rules of target swarm that span fields: a
// swarm needs a manager, a host is listed once, training hosts are hosts
// of the swarm, and only the model service is replicated.
func validateSwarm(cfg *Config, root *yaml.Node, d *decoder) {
	if usesTarget(cfg, "swarm") && len(cfg.Swarm.Managers) == 0 {
		d.fail(lineOf(root, "swarm"), "swarm.managers",
			"target swarm needs at least one manager: list user@address[:port] hosts under swarm.managers")
	}
	seen := map[string]string{}
	for _, list := range []struct {
		key   string
		hosts []string
	}{{"managers", cfg.Swarm.Managers}, {"workers", cfg.Swarm.Workers}} {
		for i, h := range list.hosts {
			path := fmt.Sprintf("swarm.%s[%d]", list.key, i)
			o, err := sshx.Parse(h)
			if err != nil {
				continue // reported by the field's own check
			}
			if other, dup := seen[o.Address()]; dup {
				d.fail(lineOf(root, "swarm", list.key), path, "%s is also %s: list each host once", h, other)
			}
			seen[o.Address()] = path
		}
	}
	for i, h := range cfg.Swarm.Training {
		o, err := sshx.Parse(h)
		if err != nil {
			continue
		}
		if _, ok := seen[o.Address()]; !ok {
			d.fail(lineOf(root, "swarm", "training"), fmt.Sprintf("swarm.training[%d]", i),
				"%s is not one of swarm.managers or swarm.workers", h)
		}
	}
	for _, name := range sortedKeys(cfg.Services) {
		if s := cfg.Services[name]; s.Replicas != 0 && s.Role != "model" {
			d.fail(lineOf(root, "services", name, "replicas"), "services."+name+".replicas",
				"only the model service (role: model) is replicated; the others run once, on the first manager")
		}
	}
}

// usesTarget reports whether the file or one of its environments selects
// target.
func usesTarget(cfg *Config, target string) bool {
	if cfg.Target == target {
		return true
	}
	for _, e := range cfg.Environments {
		if e.Target == target {
			return true
		}
	}
	return false
}
