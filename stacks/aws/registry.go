package aws

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// repositories creates one ECR repository per image, in the order given
// (auto-named from PROJECT-ENV-IMAGE, so a retained one never blocks a new
// environment):
// immutable tags, scan on push, AES256 encryption, and a lifecycle policy
// keeping the last KeepImages images.
func repositories(ctx *pulumi.Context, c Config, opts ...pulumi.ResourceOption) ([]*ecr.Repository, error) {
	policy, err := lifecyclePolicy(c.KeepImages)
	if err != nil {
		return nil, err
	}
	var repos []*ecr.Repository
	for _, img := range c.Images {
		name := c.repositoryName(img)
		repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
			ImageTagMutability:         pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
				&ecr.RepositoryEncryptionConfigurationArgs{EncryptionType: pulumi.String("AES256")},
			},
			ForceDelete: pulumi.Bool(c.DeleteData),
			Tags:        pulumi.ToStringMap(c.tags(img)),
		}, opts...)
		if err != nil {
			return nil, err
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(policy),
		}, append([]pulumi.ResourceOption{pulumi.Parent(repo)}, opts...)...); err != nil {
			return nil, err
		}
		repos = append(repos, repo)
	}
	return repos, nil
}

// lifecyclePolicy expires all but the newest keep images.
func lifecyclePolicy(keep int) (string, error) {
	doc := map[string]any{"rules": []any{map[string]any{
		"rulePriority": 1,
		"description":  fmt.Sprintf("keep the last %d images", keep),
		"selection": map[string]any{
			"tagStatus":   "any",
			"countType":   "imageCountMoreThan",
			"countNumber": keep,
		},
		"action": map[string]any{"type": "expire"},
	}}}
	b, err := json.Marshal(doc)
	return string(b), err
}
