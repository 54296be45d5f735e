package awsapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// RegistryAuth is a docker login for the account's ECR registry. Password
// is a secret valid for 12 hours: never print or store it in plain text.
type RegistryAuth struct {
	Endpoint string // https://ACCOUNT.dkr.ecr.REGION.amazonaws.com
	Username string
	Password string
	Expires  time.Time
}

// Host is the endpoint without its scheme, as docker login takes it.
func (a RegistryAuth) Host() string { return strings.TrimPrefix(a.Endpoint, "https://") }

// RegistryLogin gets a registry token (ecr:GetAuthorizationToken).
func (c *Client) RegistryLogin(ctx context.Context) (RegistryAuth, error) {
	out, err := c.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return RegistryAuth{}, fmt.Errorf("getting an ECR login: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return RegistryAuth{}, fmt.Errorf("getting an ECR login: no authorization data returned")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return RegistryAuth{}, fmt.Errorf("decoding the ECR token: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return RegistryAuth{}, fmt.Errorf("decoding the ECR token: not USER:PASSWORD")
	}
	return RegistryAuth{Endpoint: aws.ToString(d.ProxyEndpoint), Username: user, Password: pass, Expires: aws.ToTime(d.ExpiresAt)}, nil
}
