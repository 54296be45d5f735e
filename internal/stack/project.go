package stack

import (
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/pipeline"
)

// Project is a compose stack described by mlforge.yaml.
type Project struct {
	Dir     string
	Config  *config.Resolved
	Compose Compose
	Engine  Engine
	Prober  Prober
	// LocalDisk: the engine's data directory is on this machine.
	LocalDisk bool
	// Host is the remote host (user@addr:port), "" for this machine.
	Host string
}

// ComposeEnv returns the variables mlforge sets for compose: every
// configured port under its portEnv, so mlforge.yaml decides the ports.
func ComposeEnv(cfg *config.Config) []string {
	var env []string
	for _, name := range sortedNames(cfg.Services) {
		s := cfg.Services[name]
		if s.Port != 0 && s.PortEnv != "" {
			env = append(env, fmt.Sprintf("%s=%d", s.PortEnv, s.Port))
		}
	}
	return env
}

// NewLocal returns the project at dir on the local Docker engine.
func NewLocal(dir string, cfg *config.Resolved, engine Engine) *Project {
	return &Project{
		Dir:    dir,
		Config: cfg,
		Compose: &ExecCompose{Dir: dir, Files: []string{cfg.Compose.File}, Project: cfg.ComposeProject(),
			Env: ComposeEnv(cfg.Config)},
		Engine:    engine,
		Prober:    LocalProber,
		LocalDisk: true,
	}
}

// PortClaims lists the configured ports of the services that will run.
func (p *Project) PortClaims(skip map[string]bool) []PortClaim {
	var out []PortClaim
	for _, name := range sortedNames(p.Config.Services) {
		if s := p.Config.Services[name]; s.Port != 0 && !skip[name] {
			out = append(out, PortClaim{Port: s.Port, Service: name, Key: "services." + name + ".port"})
		}
	}
	return out
}

// UpOptions tune `up`.
type UpOptions struct {
	Skip    map[string]bool // services not to start
	Timeout time.Duration   // per wait
}

// Up holds the steps of `mlforge up` after preflight and, after they ran,
// what they found.
type Up struct {
	Build *BuildImages
	Start *StartServices
	Model *EnsureModel
}

// Steps returns the steps in order.
func (u *Up) Steps() []pipeline.Step {
	return []pipeline.Step{u.Build, u.Start, u.Model}
}

// Preflight returns the checks to run before the compose file is even read.
// Ports are checked on this machine only: a remote host's are its own
// project's after the first deploy, and compose names a clash there.
func (p *Project) Preflight(skip map[string]bool) *Preflight {
	pre := &Preflight{Engine: p.Engine, Compose: p.Compose, LocalDisk: p.LocalDisk, Host: p.Host}
	if p.Host == "" {
		pre.Ports = p.PortClaims(skip)
	}
	return pre
}

// PlanUp builds the up pipeline for a project whose compose model is known.
func (p *Project) PlanUp(model *Model, opts UpOptions) *Up {
	modelSvc, port, health := ModelService(p.Config.Config)
	// One-shot jobs are never waited for, even with their profile enabled.
	notLong := JobServices(p.Config.Config)
	maps.Copy(notLong, opts.Skip)
	services := model.LongRunning(notLong)
	return &Up{
		Build: &BuildImages{Engine: p.Engine, Compose: p.Compose, Model: model, Commit: GitCommit(p.Dir)},
		Start: &StartServices{Engine: p.Engine, Compose: p.Compose, Services: services,
			Lenient: map[string]bool{modelSvc: true}, Timeout: opts.Timeout},
		Model: &EnsureModel{Compose: p.Compose, Prober: p.Prober, Service: modelSvc, Port: port,
			HealthPath: health, Job: TrainJob(p.Config.Config), Timeout: opts.Timeout,
			Registered: p.Config.Services[modelSvc].Model, TrackingPort: TrackingPort(p.Config.Config)},
	}
}

// GitCommit returns the short HEAD commit of the repository holding dir.
func GitCommit(dir string) string {
	repo, err := git.PlainOpenWithOptions(filepath.Clean(dir), &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	head, err := repo.Head()
	if err != nil {
		return ""
	}
	return head.Hash().String()[:12]
}

// SkipSet turns --skip values into a set, checking each names a service.
func SkipSet(model *Model, names []string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, n := range names {
		if _, ok := model.Services[n]; !ok {
			known := make([]string, 0, len(model.Services))
			for k := range model.Services {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("--skip %s: no such service in the compose file (services: %v)", n, known)
		}
		set[n] = true
	}
	return set, nil
}
