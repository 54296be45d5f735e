package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/internal/testenv"
)

// aws.secretsProvider: awskms://KEY works as the stack's secrets provider:
// a secret output is encrypted with a KMS key (moto's KMS here) and read
// back, with no passphrase anywhere.
func TestKMSSecretsProvider(t *testing.T) {
	endpoint := testenv.Moto(t)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(endpoint) }).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	o := testOptions(t, home, func(ctx *pulumi.Context) error {
		ctx.Export("token", pulumi.ToSecret(pulumi.String("s3cr3t-value")))
		return nil
	})
	o.SecretsProvider = fmt.Sprintf("awskms://%s?region=us-east-1&awssdk=v2&endpoint=%s", aws.ToString(key.KeyMetadata.KeyId), endpoint)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"} {
		o.EnvVars[k] = "testing"
	}
	o.EnvVars["AWS_EC2_METADATA_DISABLED"] = "true"
	e := open(t, o)
	out, err := e.Up(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := out["token"].Reveal().(string); v != "s3cr3t-value" {
		t.Errorf("the secret output read back as %q", v)
	}
	st := readState(t, home)
	if strings.Contains(st, "s3cr3t-value") || !strings.Contains(st, "awskms://") {
		t.Errorf("the state holds the secret in plain text, or no KMS secrets provider:\n%.400s", st)
	}
}

// readState returns the file backend's state of taxi/dev under home.
func readState(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "state", ".pulumi", "stacks", "taxi", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
