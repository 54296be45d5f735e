package deploy

import (
	"context"
	"os"

	"github.com/moby/moby/client"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/provision"
)

// Docker is this machine's Docker engine: what builds ask of it, and the
// API images are shipped from.
type Docker interface {
	stack.Engine
	// Client is the engine's API client, for moving images to a host.
	Client() *client.Client
}

// Deps are the outside services a deploy uses. The CLI passes the real
// ones (DefaultDeps); tests replace fields of their own copy.
type Deps struct {
	// Docker connects to this machine's Docker engine (no request is made
	// until one is needed).
	Docker func() (Docker, error)
	// AWS connects to the AWS APIs of a region.
	AWS func(ctx context.Context, region string) (*awsapi.Client, error)
	// CallerIP finds this machine's public address, the default SSH
	// allow-list of an AWS environment.
	CallerIP awsapi.IPSource
	// Getenv reads the environment (MLFORGE_HOME, passphrases).
	Getenv func(string) string
	// Program, when set, replaces an AWS environment's Pulumi program.
	Program func(*provision.AWSSetup) pulumi.RunFunc
}

// DefaultDeps are the real services.
func DefaultDeps() Deps {
	return Deps{
		Docker: func() (Docker, error) { return stack.NewEngine() },
		AWS: func(ctx context.Context, region string) (*awsapi.Client, error) {
			return awsapi.New(ctx, awsapi.Options{Region: region})
		},
		CallerIP: awsapi.HTTPIPSource{},
		Getenv:   os.Getenv,
	}
}
