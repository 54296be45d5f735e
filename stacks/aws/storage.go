package aws

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/resourcegroupstaggingapi"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// artifactBucket creates the MLflow artifact store: a versioned bucket with
// default encryption, every form of public access blocked, ACLs disabled
// (bucket owner enforced) and old noncurrent versions expiring. A bucket
// an earlier deployment of this environment left behind (destroy keeps it
// unless DeleteData) is adopted instead of creating a new one beside it,
// so MLflow finds its artifacts again. Its name never changes from here.
func artifactBucket(ctx *pulumi.Context, c Config, opts ...pulumi.ResourceOption) (*s3.BucketV2, error) {
	name := c.prefix() + "-artifacts"
	retained, err := findBucket(ctx, c)
	if err != nil {
		return nil, err
	}
	tags := c.tags("artifacts")
	tags[roleTag] = roleBucket
	args := &s3.BucketV2Args{
		BucketPrefix: pulumi.String(c.bucketPrefix()),
		ForceDestroy: pulumi.Bool(c.DeleteData),
		Tags:         pulumi.ToStringMap(tags),
	}
	own := append([]pulumi.ResourceOption{pulumi.IgnoreChanges([]string{"bucket", "bucketPrefix"})}, opts...)
	if retained != "" {
		args.BucketPrefix, args.Bucket = nil, pulumi.String(retained)
		own = append(own, pulumi.Import(pulumi.ID(retained)))
	}
	bucket, err := s3.NewBucketV2(ctx, name, args, own...)
	if err != nil {
		return nil, err
	}
	child := append([]pulumi.ResourceOption{pulumi.Parent(bucket)}, opts...)
	if _, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
					SseAlgorithm: pulumi.String("AES256"),
				},
				BucketKeyEnabled: pulumi.Bool(true),
			},
		},
	}, child...); err != nil {
		return nil, err
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, child...)
	if err != nil {
		return nil, err
	}
	// The lifecycle rule depends on versioning being on (AWS requirement).
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{
			&s3.BucketLifecycleConfigurationV2RuleArgs{
				Id:     pulumi.String("expire-old-versions"),
				Status: pulumi.String("Enabled"),
				Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
				NoncurrentVersionExpiration: &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(c.NoncurrentDays),
				},
				AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(7),
				},
			},
		},
	}, append(child, pulumi.DependsOn([]pulumi.Resource{versioning}))...); err != nil {
		return nil, err
	}
	return bucket, nil
}

// findBucket returns the name of the environment's artifact bucket when
// one exists, found by its tags (the Resource Groups Tagging API lists a
// region's tagged buckets); "" when there is none. Of several (left by
// destroy and up before buckets were adopted), the newest is taken: the
// provider's names end in a creation timestamp. Buckets the tagging API
// still lists for a while after they were deleted are skipped.
func findBucket(ctx *pulumi.Context, c Config) (string, error) {
	res, err := resourcegroupstaggingapi.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesArgs{
		ResourceTypeFilters: []string{"s3"},
		TagFilters: []resourcegroupstaggingapi.GetResourcesTagFilter{
			{Key: envTag, Values: []string{c.Env}},
			{Key: projectTag, Values: []string{c.Project}},
		},
	})
	if err != nil {
		return "", fmt.Errorf("looking for the artifact bucket of %s/%s: %w", c.Project, c.Env, err)
	}
	var names []string
	for _, m := range res.ResourceTagMappingLists {
		name, ok := strings.CutPrefix(m.ResourceArn, "arn:aws:s3:::")
		if ok && (m.Tags[roleTag] == roleBucket || m.Tags[hostNameTag] == c.prefix()+"-artifacts") {
			names = append(names, name)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for i, name := range names {
		if _, err := s3.LookupBucket(ctx, &s3.LookupBucketArgs{Bucket: name}); err != nil {
			ctx.Log.Warn(fmt.Sprintf("artifact bucket %s is tagged for %s/%s but cannot be read (%v); not adopting it", name, c.Project, c.Env, err), nil)
			continue
		}
		if rest := names[i+1:]; len(rest) > 0 {
			ctx.Log.Warn(fmt.Sprintf("adopting artifact bucket %s; older buckets of %s/%s are left as they are: %s", name, c.Project, c.Env, strings.Join(rest, ", ")), nil)
		}
		return name, nil
	}
	return "", nil
}
