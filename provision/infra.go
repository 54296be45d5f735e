// Package provision runs Pulumi programs through the Automation API for
// target aws: one stack per environment in a file backend under the mlforge
// directory (or any backend URL), passphrase or KMS secrets, preview, up,
// destroy, refresh and outputs with the engine's events rendered as a
// per-resource progress list; then waits for the created host in stages
// (instance running, SSH with the pinned key, cloud-init, Docker).
package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Options describe one environment's stack.
type Options struct {
	Project string // mlforge project: the Pulumi project name
	Env     string // environment: the stack name
	// Home is the mlforge directory (~/.mlforge): state, passphrases, workspaces.
	Home string
	// Backend is a Pulumi backend URL; empty means file://Home/state.
	Backend string
	// SecretsProvider is "passphrase" (or empty) or a KMS URL such as awskms://...
	SecretsProvider string
	// Program is the inline program.
	Program pulumi.RunFunc
	// Config is set on the stack before each operation (for example aws:region).
	Config map[string]string
	// EnvVars are passed to the engine (credentials, PULUMI_* settings).
	EnvVars map[string]string
	// PulumiHome overrides ~/.pulumi (plugins, caches); empty keeps it.
	PulumiHome string
	// Pulumi locates the pulumi Pulumi.
	Pulumi PulumiCLI
	// Getenv reads the environment (os.Getenv by default).
	Getenv func(string) string
	// ReadOnly opens an existing stack only to read its outputs and state:
	// no program is needed, nothing is created, no configuration is set
	// and no passphrase is generated.
	ReadOnly bool
}

// Infra is one environment's infrastructure (its Pulumi stack), ready for
// operations: preview, up, destroy, refresh, outputs.
type Infra struct {
	opts  Options
	stack auto.Stack
}

// EnvDir is the directory of one environment's local secrets (passphrase,
// SSH keys): Home/PROJECT/ENV, mode 0700.
func EnvDir(home, project, env string) string { return filepath.Join(home, project, env) }

// BackendURL is the state backend in use.
func (o Options) BackendURL() string {
	if o.Backend != "" {
		return o.Backend
	}
	return "file://" + filepath.ToSlash(filepath.Join(o.Home, "state"))
}

// Open prepares the workspace and selects the stack, creating it unless
// ReadOnly.
func Open(ctx context.Context, o Options) (*Infra, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadOnly && o.Program == nil {
		o.Program = refuseToRun
	}
	if o.Project == "" || o.Env == "" || o.Home == "" || o.Program == nil {
		return nil, fmt.Errorf("provision: Project, Env, Home and Program are required")
	}
	ws, err := newWorkspace(ctx, o)
	if err != nil {
		return nil, err
	}
	backend := redactURL(o.BackendURL())
	if o.ReadOnly {
		st, err := auto.SelectStack(ctx, o.Env, ws)
		if auto.IsSelectStack404Error(err) {
			return nil, errs.WithHint(fmt.Errorf("environment %s/%s: %w in %s", o.Project, o.Env, ErrNotCreated, backend),
				fmt.Sprintf("create it with `mlforge up --env %s` (or point aws.backend at the backend that holds it)", o.Env))
		}
		if err != nil {
			return nil, explain(fmt.Errorf("opening stack %s/%s in %s: %w", o.Project, o.Env, backend, err), o)
		}
		return &Infra{opts: o, stack: st}, nil
	}
	st, err := auto.UpsertStack(ctx, o.Env, ws)
	if err != nil {
		return nil, explain(fmt.Errorf("opening stack %s/%s in %s: %w", o.Project, o.Env, backend, err), o)
	}
	for k, v := range o.Config {
		if err := st.SetConfig(ctx, k, auto.ConfigValue{Value: v}); err != nil {
			return nil, explain(fmt.Errorf("setting stack config %s: %w", k, err), o)
		}
	}
	return &Infra{opts: o, stack: st}, nil
}

// ErrNotCreated is returned by a read-only Open of an environment that
// was never created.
var ErrNotCreated = errors.New("not created yet")

// refuseToRun is the program of a stack opened only to be read.
func refuseToRun(*pulumi.Context) error {
	return fmt.Errorf("provision: this environment was opened read-only")
}

// newWorkspace prepares the state directory, the workspace directory and
// the engine's environment (backend, secrets) and locates the pulumi CLI.
func newWorkspace(ctx context.Context, o Options) (auto.Workspace, error) {
	backend := o.BackendURL()
	if dir, ok := strings.CutPrefix(backend, "file://"); ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating state directory: %w", err)
		}
	}
	workDir := filepath.Join(o.Home, o.Project, "workspace")
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating workspace: %w", err)
	}
	env := map[string]string{
		"PULUMI_BACKEND_URL":       backend,
		"PULUMI_SKIP_UPDATE_CHECK": "true",
	}
	secrets := o.SecretsProvider
	if secrets == "" || secrets == "passphrase" {
		secrets = "passphrase"
		p, err := Passphrase(filepath.Join(EnvDir(o.Home, o.Project, o.Env), "passphrase"), o.Getenv, !o.ReadOnly)
		switch {
		case err == nil:
			env["PULUMI_CONFIG_PASSPHRASE"] = p
		case !o.ReadOnly:
			return nil, err
		}
		// Read-only without a passphrase: reading outputs that hold no
		// secrets works, and pulumi names the passphrase when one is needed.
	}
	for k, v := range o.EnvVars {
		env[k] = v
	}
	cmd, err := o.Pulumi.Locate(ctx)
	if err != nil {
		return nil, err
	}
	project := workspace.Project{
		Name:    tokens.PackageName(o.Project),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: backend},
	}
	wsOpts := []auto.LocalWorkspaceOption{
		auto.Program(o.Program), auto.Project(project), auto.WorkDir(workDir),
		auto.EnvVars(env), auto.Pulumi(cmd), auto.SecretsProvider(secrets),
	}
	if o.PulumiHome != "" {
		wsOpts = append(wsOpts, auto.PulumiHome(o.PulumiHome))
	}
	ws, err := auto.NewLocalWorkspace(ctx, wsOpts...)
	if err != nil {
		return nil, explain(fmt.Errorf("preparing the Pulumi workspace: %w", err), o)
	}
	return ws, nil
}

// Name is PROJECT/ENV.
func (e *Infra) Name() string { return e.opts.Project + "/" + e.opts.Env }

// redactURL drops credentials from a URL-ish string.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}

// ListEnvironments names the project's environments (stacks) in the
// backend o describes (o.Env may name one that does not exist).
func ListEnvironments(ctx context.Context, o Options) ([]string, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	o.ReadOnly = true
	if o.Program == nil {
		o.Program = refuseToRun
	}
	ws, err := newWorkspace(ctx, o)
	if err != nil {
		return nil, err
	}
	stacks, err := ws.ListStacks(ctx)
	if err != nil {
		return nil, explain(fmt.Errorf("listing the environments of %s in %s: %w", o.Project, redactURL(o.BackendURL()), err), o)
	}
	var names []string
	for _, s := range stacks {
		name := s.Name
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
