package deploy

import (
	"context"
	"slices"
	"time"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/provision"
)

// UpOptions tune an up.
type UpOptions struct {
	// Skip names services not to start.
	Skip []string
	// Timeout bounds each wait for services to become healthy.
	Timeout time.Duration
	// BuildOnHost builds the images on a remote host instead of here.
	BuildOnHost bool
}

// Result is what an up did and found.
type Result struct {
	Project      string           `json:"project"`
	Target       string           `json:"target"`
	Env          string           `json:"env"`
	Endpoints    []stack.Endpoint `json:"endpoints"`
	ModelVersion string           `json:"modelVersion,omitempty"`
	Built        []string         `json:"built"`
	Reused       []string         `json:"reused"`
	Trained      bool             `json:"trained"`
	Seconds      float64          `json:"seconds"`
	// The remote targets' part.
	Host         string   `json:"host,omitempty"`
	Dir          string   `json:"dir,omitempty"`
	Shipped      []string `json:"shipped,omitempty"`
	ShippedBytes int64    `json:"shippedBytes,omitempty"`
	Synced       bool     `json:"synced,omitempty"`
}

// Up runs the stack on the target: the steps its kind declares (steps),
// as one status sequence on st. It returns once every service is healthy
// by the definition `mlforge status` uses.
func Up(ctx context.Context, t *Target, opts UpOptions, st pipeline.Status) (*Result, error) {
	r, err := newRun(t, opts)
	if err != nil {
		return nil, err
	}
	if err := pipeline.Run(ctx, st, r.steps()); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// steps is the whole of an up, one list per target, in order.
func (r *run) steps() []pipeline.Step {
	local := []pipeline.Step{preflight{r}, readCompose{r}, build{r}, start{r}, serveModel{r}, healthy{r}}
	remote := []pipeline.Step{connect{r}, bootstrapHost{r}, preflight{r}, readCompose{r}, build{r}, ship{r},
		syncProject{r}, writeSettings{r}, start{r}, serveModel{r}, healthy{r}, dropReplaced{r}}
	if r.opts.BuildOnHost {
		// The host builds from the synced project, so the files go first.
		remote = []pipeline.Step{connect{r}, bootstrapHost{r}, preflight{r}, syncProject{r}, writeSettings{r},
			readCompose{r}, build{r}, start{r}, serveModel{r}, healthy{r}}
	}
	switch r.t.Kind {
	case SSH:
		return remote
	case Swarm:
		return r.swarmSteps()
	case AWS:
		infra := []pipeline.Step{provisionInfra{r}, startInstance{r}}
		wait := &provision.HostWait{Instance: &r.instance, Instances: r.t.aws, Timeouts: provision.DefaultTimeouts,
			KeyDir: r.t.aws.keyDir}
		if r.t.IsSwarm() {
			return append(append(append(infra, wait.Steps()...), recordKeys{r}, waitWorkers{r}), r.swarmSteps()...)
		}
		// The host's idle stop follows its Docker.
		remote = slices.Insert(remote, 2, pipeline.Step(idleStop{r}))
		infra = append(append(infra, wait.Steps()...), recordKeys{r})
		return append(infra, remote...)
	}
	return local
}

// run is what the steps of one up share. Each step gets it when the list
// is declared and reads, when it runs, what the steps before it produced.
type run struct {
	t     *Target
	opts  UpOptions
	start time.Time

	docker Docker         // this machine's engine (nil when the host builds)
	here   *stack.Project // the stack on this machine, where images are built

	instance   provision.Instance          // aws: the host, from provisioning
	outputs    map[string]provision.Output // aws: the environment's outputs, from provisioning
	deployment *deployment                 // aws: what the environment adds, from its outputs
	conn       *remote.Conn                // remote: the host, once connected
	synced     string                      // remote: the project's copy on the host (its hash), once synced
	settings   string                      // remote: the deployment settings on the host (their hash), once written

	// resume: the stack starts from the host's own copy; nothing is built.
	resume bool

	model   *stack.Model         // the compose model, once read
	skip    map[string]bool      // services not started
	ensure  *stack.EnsureModel   // the model step, once made
	started *stack.StartServices // the services start started, once it ran
	checked *stack.Healthy       // the last health check, for the endpoints
	res     Result
}

func newRun(t *Target, opts UpOptions) (*run, error) {
	r := &run{t: t, opts: opts, start: time.Now()}
	if !t.Remote() || !opts.BuildOnHost {
		d, err := t.deps.Docker()
		if err != nil {
			return nil, err
		}
		r.docker = d
		r.here = stack.NewLocal(t.Dir, t.Config, d)
	}
	return r, nil
}

// project is the stack where it runs: on the host once connected, else here.
func (r *run) project() *stack.Project {
	if r.conn != nil {
		return r.conn.Project
	}
	return r.here
}

// builder is the stack whose engine builds the images (whose compose
// model the steps read).
func (r *run) builder() *stack.Project {
	if (r.opts.BuildOnHost || r.resume) && r.conn != nil {
		return r.conn.Project
	}
	return r.here
}

func (r *run) result() *Result {
	res := r.res
	cfg := r.t.Config
	res.Project, res.Target, res.Env = cfg.Project, cfg.Target, cfg.Env
	res.Built, res.Reused = nonNil(res.Built), nonNil(res.Reused)
	if r.checked != nil {
		res.Endpoints = stack.Endpoints(cfg.Config, r.model, r.checked.List, r.skip)
	}
	if r.conn != nil {
		res.Host, res.Dir = r.conn.Client.Address(), r.conn.Dir
		res.Shipped = nonNil(res.Shipped)
	}
	res.Seconds = time.Since(r.start).Seconds()
	return &res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
