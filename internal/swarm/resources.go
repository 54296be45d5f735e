package swarm

// networks are the stack's networks the services use: compose's own as
// overlay networks spanning the nodes (encrypted with IPsec when spec
// says so), external ones as they are.
func networks(c *Compose, spec Spec, used map[string]bool) map[string]map[string]any {
	out := map[string]map[string]any{}
	for key := range used {
		name, ok := cut(key, "network:")
		if !ok || name == hostNetwork {
			continue
		}
		raw := c.Networks[name]
		if ext, _ := raw["external"].(bool); ext {
			out[name] = map[string]any{"external": true, "name": raw["name"]}
			continue
		}
		n := map[string]any{"driver": "overlay"}
		if spec.Encrypt {
			// The overlay driver encrypts when the option is present.
			n["driver_opts"] = map[string]any{"encrypted": "true"}
		}
		if labels, ok := raw["labels"]; ok && labels != nil {
			n["labels"] = labels
		}
		out[name] = n
	}
	return out
}

// volumes are the named volumes the services use, under the names compose
// gives them (so a host that ran the stack with compose keeps its data).
// They live on the node a task runs on: the tracking node's services are
// pinned there with them.
func volumes(c *Compose, used map[string]bool) map[string]map[string]any {
	out := map[string]map[string]any{}
	for key := range used {
		name, ok := cut(key, "volume:")
		if !ok {
			continue
		}
		raw := c.Volumes[name]
		out[name] = pick(raw, []string{"name", "external", "driver", "driver_opts", "labels"})
	}
	return out
}

// volumeName is the engine's name of a stack volume.
func volumeName(c *Compose, stack, key string) string {
	if n, _ := c.Volumes[key]["name"].(string); n != "" {
		return n
	}
	return stack + "_" + key
}

func cut(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
