package swarm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Route is a port the stack offers on the tracking node's loopback: the
// edge listens on 127.0.0.1:Port there and hands the connection, through
// a unix socket, to the proxy, which reaches Service's tasks on Target
// over the overlay network.
type Route struct {
	Port    int
	Service string
	Target  int
	// Model marks the model service: HTTP, health-checked on its
	// readiness path, requests retried on another replica.
	Model bool
}

// Routes are the published ports of the long-running services. A swarm
// cannot publish a port on one address only (its port configuration has
// no host address), so no service publishes one: the edge does, on
// 127.0.0.1.
func Routes(c *Compose, services []string, spec Spec) ([]Route, error) {
	var out []Route
	seen := map[int]string{}
	for _, name := range services {
		ports, _ := c.Services[name]["ports"].([]any)
		for _, p := range ports {
			r, ok, err := route(name, p)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if other, dup := seen[r.Port]; dup {
				return nil, fmt.Errorf("services %s and %s both publish port %d", other, name, r.Port)
			}
			seen[r.Port] = name
			r.Model = name == spec.Model
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out, nil
}

// route reads one of compose's port entries.
func route(service string, p any) (Route, bool, error) {
	m, _ := p.(map[string]any)
	published, _ := m["published"].(string)
	if published == "" {
		return Route{}, false, nil // no fixed port: nothing to reach it by
	}
	if proto, _ := m["protocol"].(string); proto != "" && proto != "tcp" {
		return Route{}, false, fmt.Errorf("services.%s.ports: %s/%s: target swarm forwards TCP ports only", service, published, proto)
	}
	port, err := strconv.Atoi(published)
	target, _ := m["target"].(float64)
	if err != nil || port < 1 || port > 65535 || target < 1 {
		return Route{}, false, fmt.Errorf("services.%s.ports: %q: target swarm forwards single ports only", service, published)
	}
	return Route{Port: port, Service: service, Target: int(target)}, true, nil
}

// haproxyGlobal starts both configurations: logs on stdout (state changes
// of servers, not every request).
const haproxyGlobal = `global
  log stdout format raw local0 notice

defaults
  log global
  timeout connect 2s
  timeout client 1h
  timeout server 1h
`

// dockerDNS is the proxy's resolver: Docker's embedded DNS, asked every
// second, so replicas that start or stop are seen within a second or two.
const dockerDNS = `
resolvers docker
  nameserver dns 127.0.0.11:53
  accepted_payload_size 8192
  timeout resolve 1s
  timeout retry 1s
  hold valid 1s
  hold other 1s
  hold refused 1s
  hold nx 1s
  hold timeout 1s
  hold obsolete 1s
`

// modelTimeout bounds a model server replica's answer to one request.
const modelTimeout = "15s"

// ProxyConfig is the proxy's HAProxy configuration: one unix socket per
// route. The model service's replicas are found through DNS
// (tasks.SERVICE answers every task, with or without a virtual IP),
// health-checked on its readiness path every second, and a request whose
// replica fails (refused, reset, no answer within 15s, 502-504) is
// retried on another; HAProxy replays requests whose body fits its 16 kB
// buffer.
// Other services are passed through as TCP.
func ProxyConfig(routes []Route, spec Spec) []byte {
	var b strings.Builder
	b.WriteString(haproxyGlobal)
	b.WriteString(dockerDNS)
	for _, r := range routes {
		fmt.Fprintf(&b, "\nfrontend p%d\n", r.Port)
		mode := "tcp"
		if r.Model {
			mode = "http"
		}
		fmt.Fprintf(&b, "  mode %s\n  bind unix@%s/%d.sock mode 666\n  default_backend p%d\n", mode, socketMount, r.Port, r.Port)
		fmt.Fprintf(&b, "\nbackend p%d\n  mode %s\n  balance roundrobin\n  retries 3\n  option redispatch 1\n", r.Port, mode)
		slots := 2
		if r.Model {
			health := spec.ModelHealth
			if health == "" {
				health = "/health"
			}
			fmt.Fprintf(&b, "  option httpchk\n  http-check send meth GET uri %s ver HTTP/1.1 hdr Host localhost\n", health)
			b.WriteString("  http-check expect status 200\n")
			b.WriteString("  retry-on conn-failure empty-response junk-response response-timeout 502 503 504\n")
			// A replica whose host died answers neither data nor reset:
			// after this long its request is tried on another.
			b.WriteString("  timeout server " + modelTimeout + "\n")
			replicas := spec.Replicas
			if replicas == 0 {
				replicas = DefaultReplicas
			}
			// Room for every replica twice: a start-first rollout runs
			// old and new tasks side by side.
			slots = 2*replicas + 2
		}
		b.WriteString("  default-server inter 1s fall 2 rise 1 check resolvers docker init-addr none resolve-prefer ipv4\n")
		fmt.Fprintf(&b, "  server-template task %d tasks.%s:%d\n", slots, r.Service, r.Target)
	}
	return []byte(b.String())
}

// EdgeConfig is the edge's HAProxy configuration: each route's port on
// the node's loopback, passed as TCP to the proxy's socket.
func EdgeConfig(routes []Route) []byte {
	var b strings.Builder
	b.WriteString(haproxyGlobal)
	for _, r := range routes {
		fmt.Fprintf(&b, "\nfrontend p%d\n  mode tcp\n  bind 127.0.0.1:%d\n  default_backend p%d\n", r.Port, r.Port, r.Port)
		fmt.Fprintf(&b, "\nbackend p%d\n  mode tcp\n  server proxy unix@%s/%d.sock\n", r.Port, socketMount, r.Port)
	}
	return []byte(b.String())
}
