package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// DestroyPlan is what destroying an AWS environment removes and keeps.
type DestroyPlan struct {
	Name string
	// Removed are the resources that go; with DeleteData the data too.
	Removed []provision.Change
	// Kept names the data that stays in AWS (and is adopted by the next
	// up): the bucket, the repositories and the data volume.
	Kept       []string
	DeleteData bool

	infra   *provision.Infra
	all     *provision.Plan
	outputs map[string]provision.Output
}

// PlanDestroy previews destroying the environment: without deleteData the
// data resources leave the stack but stay in AWS.
func PlanDestroy(ctx context.Context, t *Target, deleteData bool) (*DestroyPlan, error) {
	infra, _, err := t.Infra(ctx, deleteData)
	if err != nil {
		return nil, err
	}
	outs, err := infra.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	all, err := infra.PreviewDestroy(ctx)
	if err != nil {
		return nil, err
	}
	p := &DestroyPlan{Name: infra.Name(), Removed: all.Changes, Kept: []string{}, DeleteData: deleteData,
		infra: infra, all: all, outputs: outs}
	if !deleteData {
		p.Kept = dataOf(outs)
		p.Removed = withoutData(all).Changes
	}
	return p, nil
}

// Destroy removes what the plan says: persistent spot requests are
// cancelled first (a request whose instance is terminated launches
// another), and with DeleteData the data resources are first marked for
// deletion with their contents.
func Destroy(ctx context.Context, t *Target, p *DestroyPlan, sink provision.Sink) error {
	if p.DeleteData {
		if err := p.infra.UpTargets(ctx, sink, dataURNs(p.all)); err != nil {
			return fmt.Errorf("preparing the data for deletion: %w", err)
		}
	}
	if err := CancelSpotRequests(ctx, t, p.outputs); err != nil {
		return err
	}
	return p.infra.Destroy(ctx, sink)
}

// dataTypes are the resources holding data: the bucket, the repositories
// and the data volume, with their side resources.
var dataTypes = []string{"aws:s3/", "aws:ecr/", "aws:ebs/volume:"}

// dataURNs are the data resources of a plan.
func dataURNs(plan *provision.Plan) []string {
	var urns []string
	for _, c := range plan.Changes {
		for _, prefix := range dataTypes {
			if strings.HasPrefix(c.Type, prefix) {
				urns = append(urns, c.URN)
				break
			}
		}
	}
	return urns
}

// withoutData is plan minus the data resources.
func withoutData(plan *provision.Plan) *provision.Plan {
	data := map[string]bool{}
	for _, u := range dataURNs(plan) {
		data[u] = true
	}
	out := &provision.Plan{Summary: plan.Summary, Changes: []provision.Change{}}
	for _, c := range plan.Changes {
		if !data[c.URN] {
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}

// dataOf names the bucket, repositories and data volume in the outputs.
func dataOf(outs map[string]provision.Output) []string {
	var kept []string
	if b, ok := outs[awsstack.OutBucket].Value.(string); ok && b != "" {
		kept = append(kept, "s3://"+b)
	}
	for _, u := range RepositoryURLs(outs) {
		kept = append(kept, u)
	}
	if v, ok := outs[awsstack.OutDataVolumeID].Value.(string); ok && v != "" {
		kept = append(kept, "volume "+v)
	}
	sort.Strings(kept)
	return kept
}
