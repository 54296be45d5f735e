package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/mlforge/mlforge/internal/cost"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// Sizes assumed for the bucket and the repositories when they cannot be
// measured (before the environment exists, offline, without credentials):
// a few models and reports, and three images in a few versions.
const (
	AssumedBucketGB       = 1.0
	AssumedRepositoriesGB = 5.0
)

const bytesPerGB = 1e9

// Price is an environment's estimate and what it rests on.
type Price struct {
	cost.Estimate
	// Measured says the bucket's and the repositories' sizes were read
	// from AWS; otherwise they are the assumed ones.
	Measured bool
	// State is the host's EC2 state when known ("" before it exists).
	State string
}

// CostInput is the environment's cost input from mlforge.yaml, with the
// assumed storage sizes.
func CostInput(t *Target) cost.Input {
	a := t.Config.AWS
	return cost.Input{Region: a.Region, InstanceType: a.InstanceType, Spot: a.Spot, Workers: a.Workers,
		RootGiB: a.VolumeSize, DataGiB: a.DataVolumeSize, PublicIPv4: true, ElasticIPs: true,
		BucketGB: AssumedBucketGB, RepositoriesGB: AssumedRepositoriesGB}
}

// Estimate prices the environment from the embedded price table. With
// measure, an environment that exists has its bucket and repositories
// measured and its host's state read (a stopped one is priced as such);
// without, or when that fails, the sizes are the assumed ones.
func Estimate(ctx context.Context, t *Target, measure bool) (*Price, error) {
	if t.aws == nil {
		return nil, notAWS(t.Config)
	}
	table, err := cost.Default()
	if err != nil {
		return nil, err
	}
	in := CostInput(t)
	p := &Price{}
	if measure {
		p.Measured, p.State = t.aws.measure(ctx, &in)
	}
	e, err := table.Estimate(in)
	if err != nil {
		return nil, err
	}
	p.Estimate = e
	if !p.Measured {
		p.Notes = append(p.Notes, fmt.Sprintf("The bucket and repositories are assumed to hold %g GB and %g GB.", AssumedBucketGB, AssumedRepositoriesGB))
	}
	return p, nil
}

// measure fills in the sizes and the state of an existing environment. It
// reports whether the sizes were measured, and the host's state.
func (e *awsEnv) measure(ctx context.Context, in *cost.Input) (measured bool, state string) {
	st, err := e.readState(ctx)
	if err != nil {
		return false, ""
	}
	out, err := st.Outputs(ctx)
	if err != nil || len(out) == 0 {
		return false, ""
	}
	api, err := e.api(ctx)
	if err != nil {
		return false, ""
	}
	if id, _ := out[awsstack.OutInstanceID].Value.(string); id != "" {
		if info, err := api.DescribeInstance(ctx, id); err == nil {
			state = info.State
			in.Stopped = info.State == "stopped"
		}
	}
	bucket, _ := out[awsstack.OutBucket].Value.(string)
	bucketBytes, berr := api.BucketBytes(ctx, bucket)
	repoBytes, rerr := api.RepositoryBytes(ctx, repositoryList(out))
	if berr != nil || rerr != nil {
		return false, state
	}
	in.BucketGB, in.RepositoriesGB = float64(bucketBytes)/bytesPerGB, float64(repoBytes)/bytesPerGB
	return true, state
}

func repositoryList(out map[string]provision.Output) []string {
	var urls []string
	for _, u := range RepositoryURLs(out) {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	return urls
}
