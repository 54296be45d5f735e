package aws

import (
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ecrPushPull are the repository-scoped actions a host needs to pull and push.
var ecrPushPull = []string{
	"ecr:BatchCheckLayerAvailability",
	"ecr:BatchGetImage",
	"ecr:GetDownloadUrlForLayer",
	"ecr:InitiateLayerUpload",
	"ecr:UploadLayerPart",
	"ecr:CompleteLayerUpload",
	"ecr:PutImage",
	"ecr:DescribeImages",
}

// hostProfile creates the host's role and instance profile. The role may
// read and write only this bucket and push and pull only these repositories;
// ecr:GetAuthorizationToken cannot be scoped and is granted on "*".
func hostProfile(ctx *pulumi.Context, c Config, bucket *s3.BucketV2, repos []*ecr.Repository) (*iam.InstanceProfile, error) {
	name := c.roleName()
	assume, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ec2.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(string(assume)),
		Description:      pulumi.String("mlforge host of " + c.Project + "/" + c.Env),
		Tags:             pulumi.ToStringMap(c.tags("host")),
	})
	if err != nil {
		return nil, err
	}
	arns := make([]any, 0, len(repos)+1)
	arns = append(arns, bucket.Arn)
	for _, r := range repos {
		arns = append(arns, r.Arn)
	}
	policy := pulumi.All(arns...).ApplyT(func(v []any) (string, error) {
		repoArns := make([]string, 0, len(v)-1)
		for _, a := range v[1:] {
			repoArns = append(repoArns, a.(string))
		}
		return hostPolicy(v[0].(string), repoArns)
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-access", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, pulumi.Parent(role)); err != nil {
		return nil, err
	}
	return iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: pulumi.ToStringMap(c.tags("host")),
	})
}

// hostPolicy is the inline policy document of the host role.
func hostPolicy(bucketArn string, repoArns []string) (string, error) {
	stmts := []any{
		map[string]any{
			"Sid":      "ListArtifactBucket",
			"Effect":   "Allow",
			"Action":   []string{"s3:ListBucket", "s3:GetBucketLocation"},
			"Resource": []string{bucketArn},
		},
		map[string]any{
			"Sid":      "ReadWriteArtifacts",
			"Effect":   "Allow",
			"Action":   []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			"Resource": []string{bucketArn + "/*"},
		},
		map[string]any{
			"Sid":      "RegistryLogin",
			"Effect":   "Allow",
			"Action":   []string{"ecr:GetAuthorizationToken"},
			"Resource": []string{"*"},
		},
	}
	if len(repoArns) > 0 {
		stmts = append(stmts, map[string]any{
			"Sid":      "PushPullImages",
			"Effect":   "Allow",
			"Action":   ecrPushPull,
			"Resource": repoArns,
		})
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b), err
}
