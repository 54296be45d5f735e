// Package awsapi makes the few direct AWS calls mlforge needs besides
// Pulumi: who the caller is (STS), the caller's public address for the SSH
// allow-list, EC2 instance state and console output while waiting for a
// host, ECR registry credentials, and the sizes the cost estimate prices.
package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options select the region and, for tests and local stand-ins, an endpoint.
type Options struct {
	Region string
	// Endpoint overrides every service's endpoint (a moto server in tests).
	Endpoint string
	// Profile names a shared-config profile; empty uses the default chain.
	Profile string
}

// Client holds one configured SDK client per service used.
type Client struct {
	Region string
	sts    *sts.Client
	ec2    *ec2.Client
	ecr    *ecr.Client
	s3     *s3.Client
}

// New loads credentials the standard way (environment, shared config, SSO,
// instance role) without calling AWS yet.
func New(ctx context.Context, o Options) (*Client, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: set aws.region in mlforge.yaml or AWS_REGION")
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	return &Client{
		Region: cfg.Region,
		sts:    sts.NewFromConfig(cfg),
		ec2:    ec2.NewFromConfig(cfg),
		ecr:    ecr.NewFromConfig(cfg),
		// Path-style addressing keeps stand-ins (moto) reachable; AWS
		// serves both.
		s3: s3.NewFromConfig(cfg, func(so *s3.Options) { so.UsePathStyle = o.Endpoint != "" }),
	}, nil
}

// Identity is who the credentials belong to.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
}

// CallerIdentity asks STS who the caller is: the cheapest check that
// credentials work.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("checking AWS credentials (sts get-caller-identity): %w", err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}
