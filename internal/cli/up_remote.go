package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

// deployment is what a target adds to deploying on a plain SSH host.
type deployment struct {
	// repos and login, when set, ship built images through a registry
	// (ECR) instead of over SSH.
	repos map[string]string
	login func(context.Context) (remote.Credentials, error)
	// settings are compose variables recorded on the host.
	settings map[string]string
}

type remoteResult struct {
	upResult
	Host         string   `json:"host"`
	Dir          string   `json:"dir"`
	Shipped      []string `json:"shipped"`
	ShippedBytes int64    `json:"shippedBytes"`
	Synced       bool     `json:"synced"`
}

// upRemote deploys the stack to an SSH host: connect (host key verified),
// bootstrap Docker there when needed, build here (or there), ship the
// images, sync the project, start, train, report.
func upRemote(ctx context.Context, f *Factory, opts *UpOptions, dir string, cfg *config.Resolved, so sshx.Options, start time.Time) error {
	st := ui.NewStatus(f.IO)
	st.Start("connect to " + so.Address())
	t, err := remote.Open(ctx, so, cfg)
	st.End(err)
	if err != nil {
		return errs.WithHint(fmt.Errorf("connecting to %s: %w", so.Address(), err), bootstrapHint(err))
	}
	defer func() { t.Close() }()

	res, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: t.Client}, bootstrap.Options{}, st)
	if err != nil {
		return errs.WithHint(fmt.Errorf("preparing %s: %w", so.Address(), err), bootstrapHint(err))
	}
	if res.Changed {
		// The login user was just added to the docker group: only a new
		// connection carries it.
		if err := t.Reconnect(ctx, so, cfg); err != nil {
			return err
		}
	}
	p := t.Project
	if err := pipeline.Run(ctx, st, []pipeline.Step{p.Preflight(nil)}); err != nil {
		return err
	}

	local := stack.NewLocal(dir, cfg, nil)
	sync := &remote.SyncProject{Host: t.Client, Src: dir, Dest: t.Dir}
	settings := &remote.WriteSettings{Host: t.Client, Dir: t.Dir}
	if opts.deploy != nil {
		settings.Values = opts.deploy.settings
	}
	var steps []pipeline.Step
	var build *stack.BuildImages
	var ship *remote.ShipImages
	var push *remote.RegistryShip
	var model *stack.Model
	if opts.BuildOnHost {
		if err := pipeline.Run(ctx, st, []pipeline.Step{sync, settings}); err != nil {
			return err
		}
		if model, err = stack.LoadModel(ctx, p.Compose); err != nil {
			return err
		}
		build = &stack.BuildImages{Engine: p.Engine, Compose: p.Compose, Model: model, Commit: stack.GitCommit(dir),
			LocalPath: func(s string) string { return filepath.Join(dir, strings.TrimPrefix(s, t.Dir)) }}
		steps = append(steps, build)
	} else {
		engine, err := f.Engine()
		if err != nil {
			return err
		}
		localEngine, ok := engine.(*stack.MobyEngine)
		if !ok {
			return fmt.Errorf("shipping images needs the Docker engine on this machine")
		}
		if model, err = stack.LoadModel(ctx, local.Compose); err != nil {
			return err
		}
		build = &stack.BuildImages{Engine: engine, Compose: local.Compose, Model: model, Commit: stack.GitCommit(dir)}
		ship = &remote.ShipImages{Local: localEngine.Client(), Remote: t.Engine.Client()}
		steps = append(steps, build)
		if opts.deploy != nil && opts.deploy.repos != nil {
			push = &remote.RegistryShip{Local: localEngine.Client(), Remote: t.Engine.Client(),
				Login: opts.deploy.login, Repos: opts.deploy.repos}
			steps = append(steps, push)
		}
		steps = append(steps, ship, sync, settings)
	}
	skip, err := stack.SkipSet(model, opts.Skip)
	if err != nil {
		return errs.Usage(err)
	}
	if ship != nil {
		ship.Refs, ship.Pull = imagesToShip(model, cfg.Config, skip)
		if push != nil {
			// Built images go through the registry; the rest as before.
			push.Refs, ship.Refs = ship.Refs, nil
		}
	}
	up := p.PlanUp(model, stack.UpOptions{Skip: skip, Timeout: opts.Timeout})
	steps = append(steps, up.Start, up.Model)
	if err := pipeline.Run(ctx, st, steps); err != nil {
		return err
	}
	list, err := stack.PS(ctx, p.Compose)
	if err != nil {
		return err
	}
	out := remoteResult{
		upResult: upResult{Project: cfg.Project, Target: cfg.Target, Env: cfg.Env,
			Endpoints: stack.Endpoints(cfg.Config, model, list, skip), ModelVersion: up.Model.Version,
			Built: nonNil(build.Built), Reused: nonNil(build.Reused), Trained: up.Model.Trained,
			Seconds: time.Since(start).Seconds()},
		Host: so.Address(), Dir: t.Dir, Synced: sync.Changed, Shipped: []string{},
	}
	if ship != nil {
		out.Shipped, out.ShippedBytes = nonNil(ship.Shipped), ship.Bytes
	}
	if push != nil {
		out.Shipped = append(out.Shipped, push.Pushed...)
	}
	if opts.JSON {
		return writeJSON(f.IO.Out, out)
	}
	printEndpoints(f, out.Endpoints, out.ModelVersion)
	fmt.Fprintf(f.IO.Out, "\nThe ports are on %s's loopback: `mlforge tunnel` forwards them to this machine.\n", so.Address())
	return nil
}

// imagesToShip splits the images of the services that run on the host
// (the active ones, and the jobs) into those built here and those the host
// should pull.
func imagesToShip(model *stack.Model, cfg *config.Config, skip map[string]bool) (built, pull []string) {
	jobs := stack.JobServices(cfg)
	seen := map[string]bool{}
	for _, name := range sortedServiceNames(model) {
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

func sortedServiceNames(m *stack.Model) []string {
	names := make([]string, 0, len(m.Services))
	for n := range m.Services {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}
