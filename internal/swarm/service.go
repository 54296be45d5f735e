package swarm

import (
	"fmt"
	"sort"
	"strings"
)

// passed are the service keys a swarm runs as compose does: copied as
// they are.
var passed = map[string]bool{"command": true, "entrypoint": true, "environment": true, "init": true,
	"labels": true, "user": true, "working_dir": true, "hostname": true, "stop_grace_period": true,
	"stop_signal": true, "ulimits": true, "cap_add": true, "cap_drop": true, "extra_hosts": true,
	"dns": true, "dns_search": true, "tmpfs": true, "sysctls": true, "logging": true, "read_only": true,
	"tty": true, "stdin_open": true}

// replaced are the keys whose job the swarm does its own way: building
// happens before, the proxy publishes the ports, the scheduler restarts
// and orders, the stack names the containers, the networks and the deploy
// section are rebuilt.
var replaced = map[string]bool{"build": true, "ports": true, "expose": true, "profiles": true,
	"depends_on": true, "restart": true, "container_name": true, "pull_policy": true, "scale": true,
	"image": true, "healthcheck": true, "volumes": true, "networks": true, "deploy": true}

// healthKeys are the health-check settings a stack file accepts.
var healthKeys = []string{"test", "interval", "timeout", "retries", "start_period", "disable"}

// convert derives one service of the stack file: the keys a swarm runs
// unchanged, its image as the nodes have it, its health check, mounts,
// networks and the deploy section placement gives. A key a swarm cannot
// run is an error naming it.
func convert(c *Compose, spec Spec, name string, deploy map[string]any) (map[string]any, error) {
	raw := c.Services[name]
	out := map[string]any{}
	for _, k := range sortedKeys(raw) {
		v := raw[k]
		switch {
		case v == nil || replaced[k]:
		case passed[k]:
			out[k] = v
		default:
			return nil, fmt.Errorf("services.%s.%s: target swarm cannot run it (docker stack deploy does not support it)", name, k)
		}
	}
	img := c.image(spec.Stack, name)
	if mapped, ok := spec.Images[img]; ok {
		img = mapped
	}
	out["image"] = img
	if hc, ok := raw["healthcheck"].(map[string]any); ok {
		out["healthcheck"] = pick(hc, healthKeys)
	}
	mounts, err := mountsOf(name, raw["volumes"])
	if err != nil {
		return nil, err
	}
	if len(mounts) > 0 {
		out["volumes"] = mounts
	}
	out["networks"] = networksOf(raw)
	d, err := mergeDeploy(name, raw["deploy"], deploy)
	if err != nil {
		return nil, err
	}
	out["deploy"] = d
	return out, nil
}

// mountsOf keeps what a swarm mount takes from compose's long syntax.
func mountsOf(service string, v any) ([]any, error) {
	list, _ := v.([]any)
	var out []any
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		t, _ := m["type"].(string)
		keep := pick(m, []string{"type", "source", "target", "read_only"})
		switch t {
		case "volume":
			if opts, ok := m["volume"].(map[string]any); ok && opts["nocopy"] == true {
				keep["volume"] = map[string]any{"nocopy": true}
			}
		case "tmpfs":
			if opts, ok := m["tmpfs"].(map[string]any); ok && opts["size"] != nil {
				keep["tmpfs"] = map[string]any{"size": opts["size"]}
			}
		case "bind":
		default:
			return nil, fmt.Errorf("services.%s.volumes: a %s mount cannot run on a swarm", service, t)
		}
		out = append(out, keep)
	}
	return out, nil
}

// networksOf lists the networks a service is on (compose's default when
// none).
func networksOf(raw map[string]any) []string {
	nets, _ := raw["networks"].(map[string]any)
	if len(nets) == 0 {
		return []string{"default"}
	}
	return sortedKeys(nets)
}

// serviceNetworks reads back the networks of a derived service.
func serviceNetworks(svc map[string]any) []string {
	nets, _ := svc["networks"].([]string)
	return nets
}

// userDeploy are the parts of a compose deploy section mlforge keeps; the
// others it sets from mlforge.yaml.
var userDeploy = map[string]bool{"resources": true, "labels": true}

// mergeDeploy adds the compose file's resources and labels to the deploy
// section placement gives; any other deploy key is an error, since
// mlforge.yaml decides it.
func mergeDeploy(service string, user any, deploy map[string]any) (map[string]any, error) {
	u, _ := user.(map[string]any)
	var clash []string
	for k, v := range u {
		switch {
		case v == nil:
		case userDeploy[k] && deploy[k] == nil:
			deploy[k] = v
		default:
			clash = append(clash, k)
		}
	}
	if len(clash) > 0 {
		sort.Strings(clash)
		return nil, fmt.Errorf("services.%s.deploy: %s are set by mlforge on target swarm (replicas and reservations in mlforge.yaml): remove them from the compose file",
			service, strings.Join(clash, ", "))
	}
	return deploy, nil
}

// pick copies the given keys of m that have a value.
func pick(m map[string]any, keys []string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			out[k] = v
		}
	}
	return out
}

// markUsed records the networks and named volumes a derived service uses.
func markUsed(used map[string]bool, svc map[string]any) {
	for _, n := range serviceNetworks(svc) {
		used["network:"+n] = true
	}
	mounts, _ := svc["volumes"].([]any)
	for _, m := range mounts {
		if mm, ok := m.(map[string]any); ok && mm["type"] == "volume" {
			if src, _ := mm["source"].(string); src != "" {
				used["volume:"+src] = true
			}
		}
	}
}
