package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/swarm"
)

// shipToNodes brings every node the images of the services that may run
// there, over SSH, all nodes at once, only the layers a node lacks: the
// model server's to every node, the jobs' to the training nodes, the
// others' and the proxy's to the tracking node. Built images travel
// under a tag naming the image (repo:id-<12 hex digits>), so a new image
// changes the service's spec and rolls out, and an unchanged one does
// not.
type shipToNodes struct{ *swarmRun }

func (s shipToNodes) String() string { return fmt.Sprintf("ship images to %d hosts", s.hostCount()) }

func (s shipToNodes) Run(ctx context.Context, r pipeline.Reporter) error {
	if err := s.tagBuilt(ctx); err != nil {
		return err
	}
	plan := nodeImages(s.model, s.t.Config.Config, s.skip, s.hosts)
	var mu sync.Mutex
	shipped := map[string]bool{}
	rep := &hostReporter{r: r}
	err := eachHost(len(s.hosts), func(i int) error {
		var refs, pull []string
		for _, ref := range plan[i] {
			if tagged, ok := s.images[ref]; ok {
				refs = append(refs, tagged)
			} else {
				pull = append(pull, ref)
			}
		}
		step, err := s.shipTo(ctx, i, refs, pull, rep.prefixed(s.hosts[i].ssh.Address()))
		if err != nil {
			return fmt.Errorf("%s: %w", s.hosts[i].ssh.Address(), err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, ref := range step.Shipped {
			shipped[ref] = true
		}
		s.res.ShippedBytes += step.Bytes
		return nil
	})
	s.adoptConns()
	for ref := range shipped {
		s.res.Shipped = append(s.res.Shipped, ref)
	}
	slices.Sort(s.res.Shipped)
	if err != nil {
		return err
	}
	r.Update(fmt.Sprintf("%d images shipped to %d hosts", len(s.res.Shipped), len(s.hosts)))
	return nil
}

// shipTo ships host i its images. A connection lost on the way (a
// loaded host can drop one in the middle of an image) is opened again
// and the shipping resumed once: images already there are skipped.
func (s shipToNodes) shipTo(ctx context.Context, i int, refs, pull []string, r pipeline.Reporter) (*remote.ShipImages, error) {
	step := s.shipStep(s.conns[i], refs, pull)
	err := step.Run(ctx, r)
	if err == nil || ctx.Err() != nil {
		return step, err
	}
	r.Println(fmt.Sprintf("shipping failed (%v); connecting again to resume", err))
	conn, cerr := remote.Open(ctx, s.hosts[i].ssh, s.t.Config)
	if cerr != nil {
		return step, err
	}
	s.conns[i].Close()
	s.conns[i] = conn
	again := s.shipStep(conn, refs, pull)
	err = again.Run(ctx, r)
	again.Shipped = append(step.Shipped, again.Shipped...)
	again.Bytes += step.Bytes
	return again, err
}

// shipStep ships refs (and pull) to the host of conn.
func (s shipToNodes) shipStep(conn *remote.Conn, refs, pull []string) *remote.ShipImages {
	return &remote.ShipImages{Local: s.docker.Client(), Remote: conn.Engine.Client(), Host: conn.Client,
		Address: conn.Client.Address(), Refs: refs, Pull: pull}
}

// tagBuilt tags every built image the stack runs with its ID.
func (s shipToNodes) tagBuilt(ctx context.Context) error {
	s.images = map[string]string{}
	built, _ := imagesToShip(s.model, s.t.Config.Config, s.skip)
	for _, ref := range built {
		id, err := s.docker.ImageID(ctx, ref)
		if err != nil || id == "" {
			return fmt.Errorf("image %s is not on this machine: %v", ref, err)
		}
		tagged := imageRepo(ref) + ":id-" + strings.TrimPrefix(id, "sha256:")[:12]
		if err := s.docker.Tag(ctx, ref, tagged); err != nil {
			return fmt.Errorf("tagging %s: %w", ref, err)
		}
		s.images[ref] = tagged
	}
	return nil
}

// nodeImages lists, for each host (in order), the images of the
// services placement may run there.
func nodeImages(model *stack.Model, cfg *config.Config, skip map[string]bool, hosts []swarmHost) [][]string {
	modelSvc, _, _ := stack.ModelService(cfg)
	jobs := stack.JobServices(cfg)
	out := make([][]string, len(hosts))
	proxy := false
	for _, name := range sortedServiceNames(model) {
		svc := model.Services[name]
		if skip[name] || (!svc.Active && !jobs[name]) {
			continue
		}
		for i, h := range hosts {
			if runsOn(name, i, h, modelSvc, jobs) && !slices.Contains(out[i], model.ImageRef(svc)) {
				out[i] = append(out[i], model.ImageRef(svc))
			}
		}
		proxy = proxy || (!jobs[name] && len(svc.Ports) > 0)
	}
	if proxy && len(hosts) > 0 {
		out[0] = append(out[0], swarm.ProxyImage)
	}
	for i := range out {
		slices.Sort(out[i])
	}
	return out
}

// runsOn reports whether placement may run service on host i: a job on
// training hosts, the model server anywhere, the others on the first
// manager (the tracking node).
func runsOn(service string, i int, h swarmHost, modelSvc string, jobs map[string]bool) bool {
	if jobs[service] {
		return h.training
	}
	return service == modelSvc || i == 0
}

func sortedServiceNames(m *stack.Model) []string {
	names := make([]string, 0, len(m.Services))
	for n := range m.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// imageRepo strips the tag from an image reference (keeping a registry
// port).
func imageRepo(ref string) string {
	if at := strings.Index(ref, "@"); at >= 0 {
		ref = ref[:at]
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon]
	}
	return ref
}
