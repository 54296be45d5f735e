package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/stack"
)

// ship brings the images the host runs there: those built here through the
// environment's registry when it has one (AWS), else over SSH, layer by
// layer, only what the host lacks; the others the host pulls itself (or
// gets over SSH when it cannot).
type ship struct{ *run }

func (s ship) String() string {
	if s.viaRegistry() {
		return "push images through the registry"
	}
	return "ship images"
}

func (s ship) viaRegistry() bool { return s.deployment != nil && len(s.deployment.repos) > 0 }

func (s ship) Run(ctx context.Context, r pipeline.Reporter) error {
	built, pull := imagesToShip(s.model, s.t.Config.Config, s.skip)
	local, host := s.docker.Client(), s.conn.Engine.Client()
	if s.viaRegistry() {
		repos, err := remote.ComposeRepositories(filepath.Join(s.t.Dir, s.t.Config.Compose.File))
		if err != nil {
			return err
		}
		images, err := remote.RegistryImages(s.model, built, repos)
		if err != nil {
			return err
		}
		push := &remote.RegistryShip{Local: local, Remote: host, Login: s.deployment.login,
			Repos: s.deployment.repos, Images: images}
		if err := push.Run(ctx, r); err != nil {
			return err
		}
		s.res.Shipped = append(append(s.res.Shipped, push.Pushed...), push.Pulled...)
		built = nil
	}
	err := s.copyOver(ctx, built, pull, r)
	if err != nil && remote.BrokenStream(err) && ctx.Err() == nil {
		// The connection itself dropped (a loaded host can drop one in
		// the middle of an image): connect again and resume; images
		// already there are skipped.
		r.Println(fmt.Sprintf("%v; connecting again to resume", err))
		if cerr := s.conn.Reconnect(ctx, s.hostOptions(), s.t.Config); cerr != nil {
			return fmt.Errorf("%w (connecting again: %v)", err, cerr)
		}
		err = s.copyOver(ctx, built, pull, r)
	}
	return err
}

func (s ship) copyOver(ctx context.Context, built, pull []string, r pipeline.Reporter) error {
	step := &remote.ShipImages{Local: s.docker.Client(), Remote: s.conn.Engine.Client(), Host: s.conn.Client,
		Address: s.conn.Client.Address(), Refs: built, Pull: pull}
	err := step.Run(ctx, r)
	s.res.Shipped = append(s.res.Shipped, step.Shipped...)
	s.res.ShippedBytes += step.Bytes
	return err
}

// imagesToShip splits the images of the services that run on the host
// (the active ones, and the jobs) into those built here and those the host
// should pull.
func imagesToShip(model *stack.Model, cfg *config.Config, skip map[string]bool) (built, pull []string) {
	jobs := stack.JobServices(cfg)
	seen := map[string]bool{}
	names := make([]string, 0, len(model.Services))
	for n := range model.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := model.Services[name]
		ref := model.ImageRef(s)
		if skip[name] || seen[ref] || (!s.Active && !jobs[name]) {
			continue
		}
		seen[ref] = true
		if s.Build != nil {
			built = append(built, ref)
		} else {
			pull = append(pull, ref)
		}
	}
	return built, pull
}
