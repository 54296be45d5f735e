package awsapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BucketBytes adds up the size of every object version in a bucket (the
// artifact bucket keeps replaced versions for a while, and AWS charges
// for them too).
func (c *Client) BucketBytes(ctx context.Context, bucket string) (int64, error) {
	var total int64
	p := s3.NewListObjectVersionsPaginator(c.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("measuring bucket %s: %w", bucket, err)
		}
		for _, v := range page.Versions {
			total += aws.ToInt64(v.Size)
		}
	}
	return total, nil
}

// RepositoryBytes adds up the size of every image in the ECR repositories
// named by their URLs (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME).
func (c *Client) RepositoryBytes(ctx context.Context, urls []string) (int64, error) {
	var total int64
	for _, u := range urls {
		_, name, ok := strings.Cut(u, "/")
		if !ok {
			return 0, fmt.Errorf("repository URL %q has no repository name", u)
		}
		p := ecr.NewDescribeImagesPaginator(c.ecr, &ecr.DescribeImagesInput{RepositoryName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return 0, fmt.Errorf("measuring repository %s: %w", name, err)
			}
			for _, img := range page.ImageDetails {
				total += aws.ToInt64(img.ImageSizeInBytes)
			}
		}
	}
	return total, nil
}
