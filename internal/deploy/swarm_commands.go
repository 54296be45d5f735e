package deploy

import (
	"context"
	"io"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/swarm"
)

// SwarmStatus reads the stack on the swarm as status shows it: the nodes,
// the services' tasks per node (those the last up deployed), the
// endpoints, the model version and drift, all through the first manager.
func SwarmStatus(ctx context.Context, t *Target) (*swarm.Report, error) {
	c, err := t.Conn(ctx)
	if err != nil {
		return nil, err
	}
	expected, err := swarm.Expected(ctx, c.Client, c.Dir)
	if err != nil {
		return nil, err
	}
	return swarm.Inspect(ctx, c.Engine.Client(), c.Project.Prober, t.Config.Config, t.Config.ComposeProject(), expected)
}

// SwarmLogs shows services' logs from every node they ran on.
func SwarmLogs(ctx context.Context, t *Target, services []string, o swarm.LogOptions, out, errOut io.Writer) error {
	c, err := t.Conn(ctx)
	if err != nil {
		return err
	}
	return swarm.Logs(ctx, c.Client, c.Engine.Client(), t.Config.ComposeProject(), services, o, out, errOut)
}

// SwarmRun runs one of mlforge.yaml's jobs on the swarm, streaming its
// output, and returns its exit code.
func SwarmRun(ctx context.Context, t *Target, job string, out, errOut io.Writer) (int, error) {
	c, err := t.Conn(ctx)
	if err != nil {
		return 0, err
	}
	run := &swarm.JobRun{Shell: c.Client, API: c.Engine.Client(), Dir: c.Dir, Stack: t.Config.ComposeProject(),
		Job: job, Service: t.Config.Jobs[job].Service, Out: out, ErrOut: errOut}
	return run.Run(ctx)
}

// SwarmDown removes the stack and keeps the swarm; with volumes its
// volumes go too, on every host; with leave the swarm is dissolved after.
func SwarmDown(ctx context.Context, t *Target, volumes, leave bool, st pipeline.Status) error {
	c, err := t.Conn(ctx)
	if err != nil {
		return err
	}
	down := &swarm.Down{Shell: c.Client, API: c.Engine.Client(), Dir: c.Dir, Stack: t.Config.ComposeProject(), Volumes: volumes}
	steps := []pipeline.Step{down}
	var hosts []swarmHost
	var conns []*remote.Conn
	if volumes || leave {
		if hosts, conns, err = t.swarmConns(ctx); err != nil {
			return err
		}
		down.Hosts = map[string]swarm.Shell{}
		for i, h := range hosts {
			down.Hosts[h.ssh.Address()] = conns[i].Client
		}
	}
	if leave {
		sw := &swarmRun{hosts: hosts, conns: conns}
		steps = append(steps, &swarm.Leave{Hosts: sw.swarmHostsOf()})
	}
	return pipeline.Run(ctx, st, steps)
}

// swarmConns connects to every host of the swarm (the first manager's
// connection is the target's).
func (t *Target) swarmConns(ctx context.Context) ([]swarmHost, []*remote.Conn, error) {
	hosts, err := t.swarmHostList(ctx)
	if err != nil {
		return nil, nil, err
	}
	first, err := t.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	conns := make([]*remote.Conn, len(hosts))
	conns[0] = first
	err = eachHost(len(hosts)-1, func(i int) error {
		c, err := remote.Open(ctx, hosts[i+1].ssh, t.Config)
		if err != nil {
			return connectError(hosts[i+1].ssh, err)
		}
		conns[i+1] = c
		return nil
	})
	for _, c := range conns[1:] {
		if c != nil {
			t.swarm.conns = append(t.swarm.conns, c)
		}
	}
	return hosts, conns, err
}
