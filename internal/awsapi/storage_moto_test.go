package awsapi

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The bucket's size counts every version: a replaced artifact is billed
// until it expires.
func TestBucketBytesCountsEveryVersion(t *testing.T) {
	c := motoClient(t)
	ctx := context.Background()
	bucket := "mlft-artifacts"
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{strings.Repeat("a", 1000), strings.Repeat("b", 500)} {
		if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("mlflow/model.pkl"),
			Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("mlflow/report.html"),
		Body: strings.NewReader(strings.Repeat("c", 250))}); err != nil {
		t.Fatal(err)
	}
	n, err := c.BucketBytes(ctx, bucket)
	if err != nil || n != 1750 {
		t.Errorf("BucketBytes = %d, %v; want 1750 (both versions of the model and the report)", n, err)
	}
	if _, err := c.BucketBytes(ctx, "no-such-bucket"); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("a missing bucket: %v", err)
	}
}

func TestRepositoryBytes(t *testing.T) {
	c := motoClient(t)
	ctx := context.Background()
	out, err := c.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("mlft-dev-serve")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.Repository.RepositoryUri)
	if n, err := c.RepositoryBytes(ctx, []string{url}); err != nil || n != 0 {
		t.Errorf("an empty repository: %d, %v", n, err)
	}
	if _, err := c.RepositoryBytes(ctx, []string{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/missing"}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing repository: %v", err)
	}
}
