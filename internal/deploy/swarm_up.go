package deploy

import (
	"context"
	"fmt"
	"time"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/swarm"
)

// swarmRun is what the steps of an up on a swarm share besides the run:
// the hosts, their connections, the formed swarm and the derived stack.
type swarmRun struct {
	*run
	hosts []swarmHost
	conns []*remote.Conn // by host, managers first; conns[0] is run.conn
	form  *swarm.Form
	// images maps a built image to the tag the nodes run it under.
	images  map[string]string
	derived *swarm.Stack
	// marks are the services' update marks from before the deploy.
	marks map[string]time.Time
}

// swarmSteps is the whole of an up on a swarm: reach every host and give
// it Docker, build here, form and label the swarm, drop hosts no longer
// listed, ship the images to the nodes that run them, sync the project
// to the first manager, deploy the stack there, wait for its services,
// train when no model is served, check health.
func (r *run) swarmSteps() []pipeline.Step {
	sw := &swarmRun{run: r, form: &swarm.Form{}}
	return []pipeline.Step{connectHosts{sw}, bootstrapHosts{sw}, readCompose{r}, build{r}, formSwarm{sw},
		labelNodes{sw}, &pruneNodes{swarmRun: sw}, shipToNodes{sw}, syncProject{r}, writeSettings{r},
		deployStack{sw}, startServices{sw}, &serveModelSwarm{swarmRun: sw}, swarmHealthy{sw}}
}

// hostCount is how many hosts the swarm has, as configured.
func (sw *swarmRun) hostCount() int {
	if sw.t.Kind == AWS {
		return 1 + sw.t.Config.AWS.Workers
	}
	return len(sw.t.swarm.hosts)
}

// manager is the first manager's connection.
func (sw *swarmRun) manager() *remote.Conn { return sw.conns[0] }

// swarmHostsOf makes the swarm package's hosts of the connections.
func (sw *swarmRun) swarmHostsOf() []*swarm.Host {
	out := make([]*swarm.Host, len(sw.hosts))
	for i, h := range sw.hosts {
		c := sw.conns[i]
		api := c.Engine.Client()
		out[i] = &swarm.Host{Name: h.ssh.Address(), Manager: h.manager, Training: h.training, Addr: h.addr,
			Engine: api, Shell: c.Client}
		if h.manager {
			out[i].API = api
		}
	}
	return out
}

// formSwarm makes the connected hosts one swarm.
type formSwarm struct{ *swarmRun }

func (f formSwarm) String() string { return "form the swarm" }

func (f formSwarm) Run(ctx context.Context, r pipeline.Reporter) error {
	f.form.Hosts = f.swarmHostsOf()
	return f.form.Run(ctx, r)
}

// labelNodes labels the nodes of the swarm Form made.
type labelNodes struct{ *swarmRun }

func (l labelNodes) String() string { return "label the nodes by role" }

func (l labelNodes) Run(ctx context.Context, r pipeline.Reporter) error {
	return (&swarm.Label{Form: l.form}).Run(ctx, r)
}

// pruneNodes drains and removes the nodes of hosts no longer listed.
type pruneNodes struct {
	*swarmRun
	step *swarm.Prune
}

func (p *pruneNodes) String() string { return "remove hosts no longer listed" }

func (p *pruneNodes) prune() *swarm.Prune {
	if p.step == nil {
		p.step = &swarm.Prune{Form: p.form, Timeout: p.opts.Timeout, Dial: p.dialDeparted}
	}
	return p.step
}

// Skip implements pipeline.Skipper.
func (p *pruneNodes) Skip(ctx context.Context) (string, bool) { return p.prune().Skip(ctx) }

func (p *pruneNodes) Run(ctx context.Context, r pipeline.Reporter) error {
	return p.prune().Run(ctx, r)
}

// dialDeparted reaches a host that left mlforge.yaml as its node label
// names it, trusting it as the configured hosts are trusted.
func (p *pruneNodes) dialDeparted(ctx context.Context, host string) (swarm.Engine, func(), error) {
	o, err := sshx.Parse(host)
	if err != nil {
		return nil, nil, err
	}
	first := p.hosts[0].ssh
	o.IdentityFile, o.KnownHostsFile, o.HostKey, o.Attempts = first.IdentityFile, first.KnownHostsFile, "", 1
	c, err := remote.Open(ctx, o, p.t.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", host, err)
	}
	return c.Engine.Client(), func() { c.Close() }, nil
}
