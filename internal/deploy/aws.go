package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// awsEnv is one AWS environment of the project: its Pulumi stack, its keys
// on this machine and the AWS APIs of its region, each opened when first
// needed.
type awsEnv struct {
	deps   Deps
	cfg    *config.Resolved
	home   string // the mlforge directory
	keyDir string // the environment's keys and passphrase
	region string

	setup  *provision.AWSSetup
	infra  *provision.Infra // opened for changes
	state  *provision.Infra // opened read-only
	client *awsapi.Client
}

func newAWSEnv(deps Deps, cfg *config.Resolved) (*awsEnv, error) {
	home, err := provision.Home(deps.Getenv)
	if err != nil {
		return nil, err
	}
	return &awsEnv{deps: deps, cfg: cfg, home: home, region: cfg.AWS.Region,
		keyDir: provision.EnvDir(home, cfg.Project, cfg.Env)}, nil
}

// Infra opens the environment for changes (up, preview, refresh,
// destroy): its keys (generated on first use), the host's cloud-init, the
// SSH allow-list and the Pulumi program. With deleteData the program lets
// destroy remove the bucket and repositories.
func (t *Target) Infra(ctx context.Context, deleteData bool) (*provision.Infra, *provision.AWSSetup, error) {
	if t.aws == nil {
		return nil, nil, notAWS(t.Config)
	}
	e := t.aws
	if e.infra != nil && e.setup.Stack.DeleteData == deleteData {
		return e.infra, e.setup, nil
	}
	if err := e.restoreKeys(ctx); err != nil {
		return nil, nil, err
	}
	infra, setup, err := e.open(ctx, t.Dir, deleteData)
	if err != nil {
		return nil, nil, err
	}
	e.setup, e.infra = setup, infra
	return infra, setup, nil
}

// open prepares the environment from the key directory as it is now and
// opens its stack for changes.
func (e *awsEnv) open(ctx context.Context, dir string, deleteData bool) (*provision.Infra, *provision.AWSSetup, error) {
	setup, err := provision.PrepareAWS(ctx, provision.AWSInputs{
		Cfg: e.cfg, ProjectDir: dir, KeyDir: e.keyDir, DeleteData: deleteData,
		CallerCIDR: func(ctx context.Context) (string, error) { return awsapi.CallerCIDR(ctx, e.deps.CallerIP) },
	})
	if err != nil {
		return nil, nil, err
	}
	infra, err := provision.Open(ctx, e.options(setup))
	if err != nil {
		return nil, nil, err
	}
	return infra, setup, nil
}

// restoreKeys brings the keys kept in the environment's state (when it
// exists) into the key directory: a teammate or a CI runner reaches the
// host its creator made.
func (e *awsEnv) restoreKeys(ctx context.Context) error {
	st, err := e.readState(ctx)
	if errors.Is(err, provision.ErrNotCreated) {
		return nil
	}
	if err != nil {
		return err
	}
	out, err := st.Outputs(ctx)
	if err != nil {
		return err
	}
	_, err = provision.RestoreKeys(e.keyDir, out)
	return err
}

// Outputs reads the environment's outputs and its name from its state:
// no program, no keys, no AWS call. An environment never created has none.
func (t *Target) Outputs(ctx context.Context) (map[string]provision.Output, string, error) {
	if t.aws == nil {
		return nil, "", notAWS(t.Config)
	}
	name := t.Config.Project + "/" + t.Config.Env
	st, err := t.aws.readState(ctx)
	if errors.Is(err, provision.ErrNotCreated) {
		return map[string]provision.Output{}, name, nil
	}
	if err != nil {
		return nil, "", err
	}
	out, err := st.Outputs(ctx)
	return out, st.Name(), err
}

// options are the Automation API options of the environment's stack;
// setup is nil for a read-only open.
func (e *awsEnv) options(setup *provision.AWSSetup) provision.Options {
	userHome, _ := os.UserHomeDir()
	o := provision.Options{
		Project: e.cfg.Project, Env: e.cfg.Env, Home: e.home,
		Backend: e.cfg.AWS.Backend, SecretsProvider: e.cfg.AWS.SecretsProvider,
		Pulumi: provision.PulumiCLI{Home: e.home, UserHome: userHome},
		Getenv: e.deps.Getenv, ReadOnly: setup == nil, PulumiHome: e.deps.Getenv("PULUMI_HOME"),
	}
	if setup != nil {
		o.Program = setup.Program()
		if e.deps.Program != nil {
			o.Program = e.deps.Program(setup)
		}
		o.Config = map[string]string{"aws:region": e.region}
	}
	return o
}

// readState opens the environment's stack read-only, once.
func (e *awsEnv) readState(ctx context.Context) (*provision.Infra, error) {
	if e.infra != nil {
		return e.infra, nil
	}
	if e.state == nil {
		st, err := provision.Open(ctx, e.options(nil))
		if err != nil {
			return nil, err
		}
		e.state = st
	}
	return e.state, nil
}

// instance is the environment's host as its outputs and the pinned keys
// on this machine describe it.
func (e *awsEnv) instance(ctx context.Context) (*provision.Instance, error) {
	st, err := e.readState(ctx)
	if err != nil {
		return nil, err
	}
	out, err := st.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.WithHint(fmt.Errorf("environment %s has no host: nothing is provisioned", st.Name()),
			fmt.Sprintf("create it with `mlforge up --target aws --env %s`", e.cfg.Env))
	}
	if _, err := provision.RestoreKeys(e.keyDir, out); err != nil {
		return nil, err
	}
	keys, err := provision.LoadKeys(e.keyDir)
	if err != nil {
		return nil, err
	}
	return provision.InstanceFromOutputs(out, keys)
}

// api connects to the AWS APIs of the environment's region, once.
func (e *awsEnv) api(ctx context.Context) (*awsapi.Client, error) {
	if e.client == nil {
		c, err := e.deps.AWS(ctx, e.region)
		if err != nil {
			return nil, err
		}
		e.client = c
	}
	return e.client, nil
}

// WaitRunning implements provision.Instances through the region's API.
func (e *awsEnv) WaitRunning(ctx context.Context, id string, every time.Duration) (awsapi.InstanceState, error) {
	c, err := e.api(ctx)
	if err != nil {
		return awsapi.InstanceState{}, err
	}
	return c.WaitRunning(ctx, id, every)
}

// ConsoleTail implements provision.Instances through the region's API.
func (e *awsEnv) ConsoleTail(ctx context.Context, id string, n int) (string, error) {
	c, err := e.api(ctx)
	if err != nil {
		return "", err
	}
	return c.ConsoleTail(ctx, id, n)
}

func notAWS(cfg *config.Resolved) error {
	return errs.WithHint(errs.Usage(fmt.Errorf("this command manages target aws infrastructure; the environment %q has target %q", cfg.Env, cfg.Target)),
		"pass --target aws, or set target: aws in mlforge.yaml (or in environments."+cfg.Env+")")
}

// OfflineCIDR stands for the caller's address in offline plans (TEST-NET-1).
const OfflineCIDR = "192.0.2.1/32"

// OfflinePlan runs the environment's program under Pulumi's mocks: every
// resource with its inputs, without credentials, state or network. Its
// keys are throw-away: an offline plan writes nothing to the mlforge
// directory.
func (t *Target) OfflinePlan(ctx context.Context) (*awsstack.Plan, *provision.AWSSetup, error) {
	if t.aws == nil {
		return nil, nil, notAWS(t.Config)
	}
	keyDir, err := os.MkdirTemp("", "mlforge-preview-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(keyDir)
	setup, err := provision.PrepareAWS(ctx, provision.AWSInputs{Cfg: t.Config, ProjectDir: t.Dir, KeyDir: keyDir,
		CallerCIDR: func(context.Context) (string, error) { return OfflineCIDR, nil }})
	if err != nil {
		return nil, nil, err
	}
	plan, err := awsstack.PlanOffline(setup.Stack, setup.Region)
	if err != nil {
		return nil, nil, err
	}
	return plan, setup, nil
}
