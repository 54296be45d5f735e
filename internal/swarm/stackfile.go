package swarm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
)

// ProxyImage is the reverse proxy in front of the stack's services: the
// official HAProxy image, long-term-support branch 3.0.
const ProxyImage = "haproxy:3.0"

// The services mlforge adds to the stack, and the network of the edge.
const (
	ProxyService = "mlforge-proxy"
	EdgeService  = "mlforge-edge"
	hostNetwork  = "mlforge-host"
	// socketMount is where the proxy and the edge see the socket directory.
	socketMount = "/run/mlforge"
	haproxyCfg  = "/usr/local/etc/haproxy/haproxy.cfg"
)

// Spec is what the derived stack needs besides the compose model.
type Spec struct {
	Stack       string // the stack's name (the compose project)
	Model       string // the model service ("" without one)
	ModelHealth string // its readiness path, for the proxy's checks
	Replicas    int    // of the model service
	Jobs        []Job
	Skip        map[string]bool
	// Images maps a compose image reference to the one the nodes run
	// (built images get a tag naming their content, so a new image is a
	// new spec and rolls out).
	Images  map[string]string
	Encrypt bool
	// SocketDir is the directory on the tracking node where the proxy
	// listens and the edge connects.
	SocketDir string
}

// Job is one of mlforge.yaml's jobs.
type Job struct {
	Name, Service string
	CPUs, Memory  string // reservations, "" for none
}

// File is a stack file for `docker stack deploy`.
type File struct {
	Services map[string]map[string]any `yaml:"services"`
	Networks map[string]map[string]any `yaml:"networks,omitempty"`
	Volumes  map[string]map[string]any `yaml:"volumes,omitempty"`
	Configs  map[string]map[string]any `yaml:"configs,omitempty"`
}

// YAML renders the file.
func (f *File) YAML() []byte {
	b, err := yaml.Marshal(f)
	if err != nil {
		panic(err) // maps of plain values: cannot fail
	}
	return b
}

// Stack is the derived deployment: the stack file of the long-running
// services with the proxy and the edge, one file per job, and the
// proxy's configurations.
type Stack struct {
	File       *File
	Jobs       map[string]*File // by job name
	ProxyCfg   []byte
	EdgeCfg    []byte
	Routes     []Route
	Services   []string // the long-running services of the compose file
	VolumeList []string // names of the volumes of the stack and its jobs
}

// Derive turns the compose model into the swarm stack.
func Derive(c *Compose, spec Spec) (*Stack, error) {
	if err := checkNames(c, spec); err != nil {
		return nil, err
	}
	jobs := map[string]bool{}
	for _, j := range spec.Jobs {
		jobs[j.Service] = true
	}
	st := &Stack{File: &File{Services: map[string]map[string]any{}}, Jobs: map[string]*File{}}
	used := map[string]bool{}
	for _, name := range sortedKeys(c.Services) {
		if !c.Active[name] || jobs[name] || spec.Skip[name] {
			continue
		}
		svc, err := convert(c, spec, name, placementFor(spec, name))
		if err != nil {
			return nil, err
		}
		st.File.Services[name] = svc
		st.Services = append(st.Services, name)
		markUsed(used, svc)
	}
	routes, err := Routes(c, st.Services, spec)
	if err != nil {
		return nil, err
	}
	st.Routes = routes
	if len(routes) > 0 {
		// HAProxy refuses to start without a listener: no ports, no proxy.
		st.ProxyCfg, st.EdgeCfg = ProxyConfig(routes, spec), EdgeConfig(routes)
		addProxy(st, spec, routes)
		markUsed(used, st.File.Services[ProxyService])
	}
	st.File.Networks, st.File.Volumes = networks(c, spec, used), volumes(c, used)
	if len(routes) > 0 {
		st.File.Networks[hostNetwork] = map[string]any{"external": true, "name": "host"}
	}
	vols := map[string]bool{}
	for name := range st.File.Volumes {
		vols[volumeName(c, spec.Stack, name)] = true
	}
	for _, j := range spec.Jobs {
		f, err := jobFile(c, spec, j)
		if err != nil {
			return nil, err
		}
		st.Jobs[j.Name] = f
		for name := range f.Volumes {
			vols[volumeName(c, spec.Stack, name)] = true
		}
	}
	st.VolumeList = sortedKeys(vols)
	return st, nil
}

// checkNames refuses a compose file whose services take the names of
// mlforge's own, and a job or model service it does not have.
func checkNames(c *Compose, spec Spec) error {
	for _, n := range []string{ProxyService, EdgeService} {
		if _, ok := c.Services[n]; ok {
			return fmt.Errorf("the compose file has a service named %s, which target swarm adds itself: rename it", n)
		}
	}
	for _, j := range spec.Jobs {
		if _, ok := c.Services[j.Service]; !ok {
			return fmt.Errorf("jobs.%s.service: no service %q in the compose file", j.Name, j.Service)
		}
	}
	return nil
}

// jobFile is the stack file running one job: its service as a
// replicated job on a training node, and the networks and volumes it
// uses (the stack's, which already exist).
func jobFile(c *Compose, spec Spec, j Job) (*File, error) {
	svc, err := convert(c, spec, j.Service, jobPlacement(j))
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", j.Name, err)
	}
	used := map[string]bool{}
	markUsed(used, svc)
	return &File{Services: map[string]map[string]any{j.Service: svc},
		Networks: networks(c, spec, used), Volumes: volumes(c, used)}, nil
}

// addProxy adds the proxy (on the stack's networks, listening on unix
// sockets in the socket directory) and the edge (on the host's network,
// listening on the node's loopback and connecting to those sockets), both
// on the tracking node, with their configurations as swarm configs named
// by content.
func addProxy(st *Stack, spec Spec, routes []Route) {
	nets := map[string]bool{}
	for _, r := range routes {
		for _, n := range serviceNetworks(st.File.Services[r.Service]) {
			nets[n] = true
		}
	}
	if len(nets) == 0 {
		nets["default"] = true
	}
	socket := map[string]any{"type": "bind", "source": spec.SocketDir, "target": socketMount}
	one := func() map[string]any {
		return map[string]any{"replicas": 1, "placement": map[string]any{"constraints": []string{OnTracking}},
			"update_config": map[string]any{"order": "stop-first"}}
	}
	proxyDeploy := one()
	proxyDeploy["endpoint_mode"] = "dnsrr"
	st.File.Services[ProxyService] = map[string]any{"image": ProxyImage, "networks": sortedKeys(nets),
		"volumes": []any{socket}, "deploy": proxyDeploy,
		"configs": []any{map[string]any{"source": ProxyService, "target": haproxyCfg}}}
	st.File.Services[EdgeService] = map[string]any{"image": ProxyImage, "networks": []string{hostNetwork},
		"volumes": []any{socket}, "deploy": one(),
		"configs": []any{map[string]any{"source": EdgeService, "target": haproxyCfg}}}
	st.File.Configs = map[string]map[string]any{
		ProxyService: {"file": "./proxy.cfg", "name": spec.Stack + "_proxy-" + shortHash(st.ProxyCfg)},
		EdgeService:  {"file": "./edge.cfg", "name": spec.Stack + "_edge-" + shortHash(st.EdgeCfg)},
	}
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:12]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
