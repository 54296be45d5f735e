package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/stack"
)

// connectHosts opens an SSH connection to every host of the swarm, at
// once, each key verified as target ssh verifies its host's.
type connectHosts struct{ *swarmRun }

func (c connectHosts) String() string { return fmt.Sprintf("connect to %d hosts", c.hostCount()) }

func (c connectHosts) Run(ctx context.Context, r pipeline.Reporter) error {
	if c.opts.BuildOnHost {
		return errs.WithHint(errs.Usage(errors.New("--build-on-host: a swarm's images are built here and shipped to every node that runs them")),
			"leave out --build-on-host")
	}
	hosts, err := c.t.swarmHostList(ctx)
	if err != nil {
		return err
	}
	c.hosts, c.conns = hosts, make([]*remote.Conn, len(hosts))
	err = eachHost(len(hosts), func(i int) error {
		conn, err := remote.Open(ctx, hosts[i].ssh, c.t.Config)
		if err != nil {
			return connectError(hosts[i].ssh, err)
		}
		c.conns[i] = conn
		return nil
	})
	c.adoptConns()
	if err != nil {
		return err
	}
	r.Update(fmt.Sprintf("%d hosts; the swarm is reached through %s", len(hosts), hosts[0].ssh.Address()))
	return nil
}

// adoptConns hands the connections to the target (which closes them)
// and makes the first manager's the run's.
func (sw *swarmRun) adoptConns() {
	sw.t.swarm.conns = nil
	for i, c := range sw.conns {
		switch {
		case c == nil:
		case i == 0:
			sw.conn, sw.t.conn = c, c
		default:
			sw.t.swarm.conns = append(sw.t.swarm.conns, c)
		}
	}
}

// eachHost runs fn for every host at once and joins the errors.
func eachHost(n int, fn func(i int) error) error {
	errList := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errList[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errList...)
}

// bootstrapHosts installs Docker Engine and Compose v2 on the hosts that
// lack them, all at once (a ready host changes nothing).
type bootstrapHosts struct{ *swarmRun }

func (b bootstrapHosts) String() string {
	return fmt.Sprintf("Docker and Compose on %d hosts", b.hostCount())
}

// needed lists the hosts whose login user cannot run Docker and a recent
// enough Compose yet.
func (b bootstrapHosts) needed(ctx context.Context) []int {
	ready := make([]bool, len(b.conns))
	_ = eachHost(len(b.conns), func(i int) error {
		var out bytes.Buffer
		cmd := "docker version --format '{{.Server.Version}}' && docker compose version --short"
		if b.conns[i].Client.Run(ctx, cmd, nil, &out, io.Discard) == nil {
			f := strings.Fields(out.String())
			ready[i] = len(f) >= 2 && stack.ComposeAtLeast(f[1])
		}
		return nil
	})
	var out []int
	for i, ok := range ready {
		if !ok {
			out = append(out, i)
		}
	}
	return out
}

// Skip implements pipeline.Skipper.
func (b bootstrapHosts) Skip(ctx context.Context) (string, bool) {
	if b.deployment != nil && len(b.deployment.dataDevices) > 0 {
		return "", false // the manager's volumes must be on the data volume: the script checks
	}
	if len(b.needed(ctx)) == 0 {
		return "every host runs Docker and Compose", true
	}
	return "", false
}

func (b bootstrapHosts) Run(ctx context.Context, r pipeline.Reporter) error {
	todo := b.needed(ctx)
	if b.deployment != nil && len(b.deployment.dataDevices) > 0 && (len(todo) == 0 || todo[0] != 0) {
		todo = append([]int{0}, todo...)
	}
	rep := &hostReporter{r: r}
	err := eachHost(len(todo), func(k int) error {
		i := todo[k]
		name := b.hosts[i].ssh.Address()
		var o bootstrap.Options
		if i == 0 && b.deployment != nil {
			o.DataDevices = b.deployment.dataDevices
		}
		res, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: b.conns[i].Client}, o, substeps{rep.prefixed(name)})
		if err != nil {
			return fmt.Errorf("preparing %s: %w", name, err)
		}
		if !res.Changed {
			return nil
		}
		// The login user was just added to the docker group: only a new
		// connection carries it.
		conn, err := remote.Open(ctx, b.hosts[i].ssh, b.t.Config)
		if err != nil {
			return connectError(b.hosts[i].ssh, err)
		}
		b.conns[i].Close()
		b.conns[i] = conn
		return nil
	})
	b.adoptConns()
	if err != nil {
		return errs.WithHint(err, "fix the cause above and run `mlforge up` again: bootstrap skips what is already done")
	}
	r.Update(fmt.Sprintf("%d hosts prepared", len(todo)))
	return nil
}

// hostReporter lets concurrent work on several hosts report through one
// reporter, each line naming its host.
type hostReporter struct {
	mu sync.Mutex
	r  pipeline.Reporter
}

func (h *hostReporter) prefixed(host string) pipeline.Reporter { return prefixReporter{h, host} }

type prefixReporter struct {
	h    *hostReporter
	host string
}

func (p prefixReporter) Update(d string) {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	p.h.r.Update(p.host + ": " + d)
}

func (p prefixReporter) Println(l string) {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	p.h.r.Println(p.host + ": " + l)
}
