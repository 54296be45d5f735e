package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// startInstance starts the environment's host when it is stopped (by the
// idle stop, `mlforge stop`, or a spot interruption); the wait stages
// after it see it come up.
type startInstance struct{ *run }

func (s startInstance) String() string { return "start the instance" }

// Skip implements pipeline.Skipper: a running host needs no start.
func (s startInstance) Skip(ctx context.Context) (string, bool) {
	api, err := s.t.aws.api(ctx)
	if err != nil {
		return "", false
	}
	info, err := api.DescribeInstance(ctx, s.instance.InstanceID)
	if err != nil || info.State == "stopped" || info.State == "stopping" {
		return "", false
	}
	return info.State, true
}

func (s startInstance) Run(ctx context.Context, r pipeline.Reporter) error {
	api, err := s.t.aws.api(ctx)
	if err != nil {
		return err
	}
	if info, err := api.DescribeInstance(ctx, s.instance.InstanceID); err == nil && info.State == "stopping" {
		r.Update("waiting for the stop in progress to finish")
		if _, err := api.WaitStopped(ctx, s.instance.InstanceID, 5*time.Second); err != nil {
			return err
		}
	}
	state, err := api.StartInstance(ctx, s.instance.InstanceID)
	r.Update(state)
	return err
}

// Instances lists the environment's instance ids from its outputs: the
// host first, then the workers.
func Instances(out map[string]provision.Output) []string {
	var ids []string
	if id, _ := out[awsstack.OutInstanceID].Value.(string); id != "" {
		ids = append(ids, id)
	}
	if ws, ok := out[awsstack.OutWorkers].Value.([]any); ok {
		for _, w := range ws {
			if m, ok := w.(map[string]any); ok {
				if id, _ := m["instanceId"].(string); id != "" {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// Stop stops the environment's instances from here (the idle stop does it
// from inside): the stack's data stays on the volumes, compute is no
// longer billed. Run `mlforge start` or `mlforge up` to resume.
// It returns each instance with its state.
func Stop(ctx context.Context, t *Target, st pipeline.Status) ([]string, error) {
	if t.aws == nil {
		return nil, notAWS(t.Config)
	}
	s := &stopInstances{t: t}
	err := pipeline.Run(ctx, st, []pipeline.Step{s})
	return s.states, err
}

type stopInstances struct {
	t      *Target
	states []string
}

func (s *stopInstances) String() string { return "stop the instances" }

func (s *stopInstances) Run(ctx context.Context, r pipeline.Reporter) error {
	out, name, err := s.t.Outputs(ctx)
	if err != nil {
		return err
	}
	ids := Instances(out)
	if len(ids) == 0 {
		return fmt.Errorf("environment %s has no instances: nothing is provisioned", name)
	}
	api, err := s.t.aws.api(ctx)
	if err != nil {
		return err
	}
	var states []string
	for _, id := range ids {
		if _, err := api.StopInstance(ctx, id); err != nil {
			return err
		}
	}
	for _, id := range ids {
		r.Update("waiting for " + id)
		info, err := api.WaitStopped(ctx, id, 5*time.Second)
		if err != nil {
			return err
		}
		states = append(states, id+" "+info.State)
	}
	s.states = states
	r.Update(strings.Join(states, ", "))
	return nil
}

// Start resumes a stopped environment: its host is started and waited for
// in stages, then the stack it holds is started from the host's own copy
// (nothing is built or shipped) and health-checked.
func Start(ctx context.Context, t *Target, opts UpOptions, st pipeline.Status) (*Result, error) {
	if t.aws == nil {
		return nil, notAWS(t.Config)
	}
	inst, err := t.aws.instance(ctx)
	if err != nil {
		return nil, err
	}
	r := &run{t: t, opts: opts, start: time.Now(), instance: *inst, resume: true}
	wait := &provision.HostWait{Instance: &r.instance, Instances: t.aws, Timeouts: provision.DefaultTimeouts, KeyDir: t.aws.keyDir}
	steps := append([]pipeline.Step{startInstance{r}}, wait.Steps()...)
	steps = append(steps, connect{r}, readCompose{r}, start{r}, serveModel{r}, healthy{r})
	if err := pipeline.Run(ctx, st, steps); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// CancelSpotRequests cancels the environment's persistent spot requests
// (from its outputs) before a destroy: the provider does not, and a
// persistent request whose instance is terminated launches another.
func CancelSpotRequests(ctx context.Context, t *Target, out map[string]provision.Output) error {
	var ids []string
	if list, ok := out[awsstack.OutSpotRequestIDs].Value.([]any); ok {
		for _, v := range list {
			if id, _ := v.(string); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	api, err := t.aws.api(ctx)
	if err != nil {
		return err
	}
	return api.CancelSpotRequests(ctx, ids)
}
