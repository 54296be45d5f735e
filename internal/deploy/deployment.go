package deploy

import (
	"context"
	"fmt"

	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// deployment is what an AWS environment adds to deploying on a plain SSH
// host: built images go through its ECR repositories, and the stack's
// settings put MLflow's artifacts in its bucket.
type deployment struct {
	repos    map[string]string // repository URL by image name
	login    func(context.Context) (remote.Credentials, error)
	settings map[string]string // compose variables recorded on the host
	// dataDevices are the paths of the data volume on the host, which
	// holds Docker's named volumes.
	dataDevices []string
}

// deploymentFromOutputs reads the deployment from the environment's outputs.
func deploymentFromOutputs(out map[string]provision.Output, e *awsEnv) (*deployment, error) {
	bucket, _ := out[awsstack.OutBucket].Value.(string)
	settings, err := awsSettings(bucket, e.region)
	if err != nil {
		return nil, err
	}
	d := &deployment{repos: RepositoryURLs(out), settings: settings, login: e.registryLogin}
	if id, _ := out[awsstack.OutDataVolumeID].Value.(string); id != "" {
		d.dataDevices = awsstack.DataDevices(id)
	}
	return d, nil
}

// registryLogin returns ECR credentials for the environment's account.
func (e *awsEnv) registryLogin(ctx context.Context) (remote.Credentials, error) {
	c, err := e.api(ctx)
	if err != nil {
		return remote.Credentials{}, err
	}
	a, err := c.RegistryLogin(ctx)
	if err != nil {
		return remote.Credentials{}, err
	}
	return remote.Credentials{Server: a.Host(), Username: a.Username, Password: a.Password}, nil
}

// RepositoryURLs are the environment's ECR repositories by image name.
func RepositoryURLs(out map[string]provision.Output) map[string]string {
	repos := map[string]string{}
	if m, ok := out[awsstack.OutRepositoryURLs].Value.(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok {
				repos[k] = s
			}
		}
	}
	return repos
}

// awsSettings are the compose variables of a stack on AWS: MLflow keeps
// its artifacts in the environment's bucket (reached through the
// instance role) instead of on the host's volume.
func awsSettings(bucket, region string) (map[string]string, error) {
	if bucket == "" {
		return nil, fmt.Errorf("the environment's outputs name no artifact bucket (%s)", awsstack.OutBucket)
	}
	return map[string]string{
		"MLFLOW_ARTIFACTS_DESTINATION": "s3://" + bucket + "/mlflow",
		"AWS_DEFAULT_REGION":           region,
	}, nil
}
