package stack

import (
	"fmt"

	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/mlforge/mlforge/internal/config"
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
	// State keeps the deployment's records next to the stack.
	State Store
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
			Env: ComposeEnv(cfg.Config), EnvFile: EnvFileArg(cfg.Compose.EnvFile)},
		Engine:    engine,
		Prober:    LocalProber,
		LocalDisk: true,
		State:     DirStore{Dir: filepath.Join(dir, StateDir)},
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

// Build returns the step building the model's images with this project's
// engine and compose.
func (p *Project) Build(model *Model) *BuildImages {
	return &BuildImages{Engine: p.Engine, Compose: p.Compose, Model: model, Commit: GitCommit(p.Dir)}
}

// Start returns the step starting the expected services and waiting until
// each runs (the model server: until it runs; its health needs a model).
func (p *Project) Start(model *Model, skip map[string]bool, timeout time.Duration) *StartServices {
	modelSvc, _, _ := ModelService(p.Config.Config)
	services := Expected(p.Config.Config, model, skip)
	return &StartServices{Engine: p.Engine, Compose: p.Compose, Services: services,
		Lenient: map[string]bool{modelSvc: true}, Await: ModelNeeds(model, services, modelSvc, TrainJob(p.Config.Config)),
		Timeout: timeout}
}

// ModelNeeds is what the model step needs before it runs: the model
// service, and the services the training job starts after (its
// depends_on; compose started those only once theirs were met). nil
// (every service) when there is no model service or training job, or the
// job needs a service that is not started.
func ModelNeeds(model *Model, services []Service, modelSvc, job string) map[string]bool {
	started := map[string]bool{}
	for _, s := range services {
		started[s.Name] = true
	}
	train, ok := model.Services[job]
	if modelSvc == "" || !ok || !started[modelSvc] {
		return nil
	}
	needs := map[string]bool{modelSvc: true}
	for dep, how := range train.DependsOn {
		if started[dep] {
			needs[dep] = true
			continue
		}
		if opt, _ := how.(map[string]any); opt == nil || opt["required"] != false {
			return nil
		}
	}
	return needs
}

// EnsureModel returns the step that trains when the registry has no model
// yet and waits until the model service serves one.
func (p *Project) EnsureModel(timeout time.Duration) *EnsureModel {
	modelSvc, port, health := ModelService(p.Config.Config)
	return &EnsureModel{Compose: p.Compose, Prober: p.Prober, Service: modelSvc, Port: port,
		HealthPath: health, Job: TrainJob(p.Config.Config), Timeout: timeout,
		Registered: p.Config.Services[modelSvc].Model, TrackingPort: TrackingPort(p.Config.Config)}
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

// SkipSet is the set of services not to start: the --skip values and the
// services mlforge.yaml marks skip, each checked to name a service.
func SkipSet(model *Model, cfg *config.Config, names []string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, n := range names {
		if _, ok := model.Services[n]; !ok {
			return nil, fmt.Errorf("--skip %s: no such service in the compose file (services: %v)", n, sortedNames(model.Services))
		}
		set[n] = true
	}
	for _, n := range sortedNames(cfg.Services) {
		if !cfg.Services[n].Skip {
			continue
		}
		if _, ok := model.Services[n]; !ok {
			return nil, fmt.Errorf("services.%s.skip: no such service in the compose file (services: %v)", n, sortedNames(model.Services))
		}
		set[n] = true
	}
	return set, nil
}
