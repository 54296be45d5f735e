package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// recordKeys keeps the host key pinned after the first-boot key was
// replaced (and the instance it was replaced on) in the environment's
// state, so every machine with the backend pins the same key. It runs once
// per instance: the first up, or the first after the host was replaced.
type recordKeys struct{ *run }

func (k recordKeys) String() string { return "record the host key in the state" }

// Skip implements pipeline.Skipper: the state has the key pinned here.
func (k recordKeys) Skip(ctx context.Context) (string, bool) {
	keys, err := provision.LoadKeys(k.t.aws.keyDir)
	if err != nil {
		return "", false
	}
	m, _ := k.outputs[awsstack.OutKeys].Reveal().(map[string]any)
	local := provision.StateKeys(keys, k.t.aws.keyDir)
	if m != nil && m["hostPublic"] == local.HostPublic && m["hostRotatedFor"] == local.HostRotatedFor {
		return "recorded", true
	}
	return "", false
}

func (k recordKeys) Run(ctx context.Context, r pipeline.Reporter) error {
	infra, _, err := k.t.aws.open(ctx, k.t.Dir, false)
	if err != nil {
		return err
	}
	progress := provision.NewProgressList(lineWriter(func(string) {}), false)
	out, err := infra.Up(ctx, progress)
	if err != nil {
		return err
	}
	k.outputs = out
	r.Println("   " + progress.Summary())
	return nil
}
