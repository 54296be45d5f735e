package deploy

import (
	"context"
	"fmt"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// waitWorkers waits for an AWS environment's workers as for its host,
// all at once: running, SSH answering with the pinned host key,
// cloud-init done (it installs Docker), Docker usable.
type waitWorkers struct{ *run }

func (w waitWorkers) String() string {
	return fmt.Sprintf("%d workers running with Docker", w.t.Config.AWS.Workers)
}

func (w waitWorkers) Run(ctx context.Context, r pipeline.Reporter) error {
	out, _, err := w.t.Outputs(ctx)
	if err != nil {
		return err
	}
	workers, err := workerInstances(w.instance, out)
	if err != nil {
		return err
	}
	rep := &hostReporter{r: r}
	return eachHost(len(workers), func(i int) error {
		wait := &provision.HostWait{Instance: &workers[i], Instances: w.t.aws, Timeouts: provision.DefaultTimeouts}
		name := fmt.Sprintf("worker %d (%s)", i+1, workers[i].InstanceID)
		for _, step := range wait.Steps() {
			if err := step.Run(ctx, rep.prefixed(name)); err != nil {
				return fmt.Errorf("%s: %s: %w", name, step, err)
			}
		}
		return nil
	})
}

// workerInstances are the workers of an environment's outputs, reached
// like its host (login user and key) with their own pinned host keys.
func workerInstances(manager provision.Instance, out map[string]provision.Output) ([]provision.Instance, error) {
	list, _ := out[awsstack.OutWorkers].Value.([]any)
	var ws []provision.Instance
	for i, v := range list {
		m, _ := v.(map[string]any)
		id, _ := m["instanceId"].(string)
		addr, _ := m["publicIp"].(string)
		key, _ := m["hostKey"].(string)
		fp, _ := m["hostKeyFingerprint"].(string)
		if id == "" || key == "" {
			return nil, fmt.Errorf("the environment's outputs lack worker %d's instance id or host key (%s); run `mlforge refresh`, then `mlforge up` again",
				i+1, awsstack.OutWorkers)
		}
		ws = append(ws, provision.Instance{InstanceID: id, Address: addr, Port: 22, User: manager.User,
			KeyFile: manager.KeyFile, HostKey: key, HostKeyFingerprint: fp})
	}
	return ws, nil
}
