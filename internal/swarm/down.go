package swarm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// Down removes the stack (its services, the proxy, its networks and
// configs) and waits until they are gone from every node, so a new
// deploy cannot race the removal. The swarm stays. With Volumes, the
// stack's named volumes are deleted on every host (each node keeps its
// own copy of a volume).
type Down struct {
	Shell Shell   // the first manager
	API   Manager // its engine
	Dir   string  // the project directory there
	Stack string
	// Hosts are every node's shell, for Volumes.
	Hosts   map[string]Shell
	Volumes bool
	Timeout time.Duration
	Poll    time.Duration
}

func (d *Down) String() string {
	if d.Volumes {
		return "remove the stack and delete its volumes"
	}
	return "remove the stack"
}

// Run implements pipeline.Step.
func (d *Down) Run(ctx context.Context, r pipeline.Reporter) error {
	var volumes bytes.Buffer
	if d.Volumes {
		_ = d.Shell.Run(ctx, "cat "+quote(FilesDir(d.Dir)+"/"+volumesFile)+" 2>/dev/null", nil, &volumes, io.Discard)
	}
	out := &bytes.Buffer{}
	if err := d.Shell.Run(ctx, "docker stack rm "+quote(d.Stack), nil, out, out); err != nil {
		r.Println(ui.Indent(tailLines(out.String(), 20), "   | "))
		return fmt.Errorf("docker stack rm: %w", err)
	}
	if err := d.waitGone(ctx, r); err != nil {
		return err
	}
	if d.Volumes {
		return d.deleteVolumes(ctx, r, strings.Fields(volumes.String()))
	}
	return nil
}

// waitGone waits until the stack has no service, container or network
// left anywhere.
func (d *Down) waitGone(ctx context.Context, r pipeline.Reporter) error {
	timeout := orDefault(d.Timeout, 2*time.Minute)
	deadline := time.Now().Add(timeout)
	filter := make(client.Filters).Add("label", namespaceLabel+"="+d.Stack)
	for {
		svcs, err := d.API.ServiceList(ctx, client.ServiceListOptions{Filters: filter})
		if err != nil {
			return fmt.Errorf("listing the stack's services: %w", err)
		}
		var nets bytes.Buffer
		_ = d.Shell.Run(ctx, "docker network ls -q --filter label="+quote(namespaceLabel+"="+d.Stack), nil, &nets, io.Discard)
		left := len(svcs.Items) + len(strings.Fields(nets.String()))
		if left == 0 {
			return nil
		}
		r.Update(fmt.Sprintf("%d services and networks still going", left))
		if time.Now().After(deadline) {
			return fmt.Errorf("the stack is still being removed after %s: run `mlforge down` again", ui.FormatDuration(timeout))
		}
		if err := sleep(ctx, orDefault(d.Poll, time.Second)); err != nil {
			return err
		}
	}
}

// deleteVolumes removes the stack's volumes on every host, once the
// containers using them are gone.
func (d *Down) deleteVolumes(ctx context.Context, r pipeline.Reporter, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var quoted []string
	for _, n := range names {
		quoted = append(quoted, quote(n))
	}
	script := "for i in $(seq 60); do [ -z \"$(docker ps -aq --filter label=" + quote(namespaceLabel+"="+d.Stack) +
		")\" ] && break; sleep 1; done; for v in " + strings.Join(quoted, " ") +
		"; do if docker volume inspect \"$v\" >/dev/null 2>&1; then docker volume rm \"$v\" >/dev/null || exit 1; fi; done"
	for _, host := range sortedKeys(d.Hosts) {
		r.Update("deleting volumes on " + host)
		var errOut bytes.Buffer
		if err := d.Hosts[host].Run(ctx, script, nil, io.Discard, &errOut); err != nil {
			return fmt.Errorf("deleting the volumes on %s: %w: %s", host, err, strings.TrimSpace(errOut.String()))
		}
	}
	return nil
}

// Leave dissolves the swarm: workers leave first, then the managers, the
// first one last (the swarm ends with it). Each host's engine is left out
// of any swarm; the hosts keep Docker, images and volumes.
type Leave struct {
	Hosts []*Host // managers first, as configured
}

func (l *Leave) String() string { return "dissolve the swarm" }

// Run implements pipeline.Step.
func (l *Leave) Run(ctx context.Context, r pipeline.Reporter) error {
	order := make([]*Host, 0, len(l.Hosts))
	for i := len(l.Hosts) - 1; i >= 0; i-- {
		if !l.Hosts[i].Manager {
			order = append(order, l.Hosts[i])
		}
	}
	for i := len(l.Hosts) - 1; i >= 0; i-- {
		if l.Hosts[i].Manager {
			order = append(order, l.Hosts[i])
		}
	}
	for _, h := range order {
		in, err := swarmInfo(ctx, h)
		if err != nil {
			return err
		}
		if in.LocalNodeState == "inactive" || in.LocalNodeState == "" {
			continue
		}
		r.Update(h.Name + " leaves")
		// A manager's leaving would break the quorum of the others, which
		// are leaving too: forced.
		if _, err := h.Engine.SwarmLeave(ctx, client.SwarmLeaveOptions{Force: h.Manager}); err != nil {
			return fmt.Errorf("%s leaving the swarm: %w", h.Name, err)
		}
	}
	return nil
}
