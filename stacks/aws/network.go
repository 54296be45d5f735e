package aws

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// securityGroup allows SSH from c.SSHCidrs only; no service port is open
// (the UIs are reached through SSH tunnels). Outbound traffic is allowed so
// the host can install packages and pull images.
func securityGroup(ctx *pulumi.Context, c Config) (*ec2.SecurityGroup, error) {
	name := c.prefix() + "-host"
	return ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		Description: pulumi.String("mlforge " + c.Project + "/" + c.Env + ": SSH from allowed networks only"),
		Ingress: ec2.SecurityGroupIngressArray{
			&ec2.SecurityGroupIngressArgs{
				Description: pulumi.String("SSH"),
				Protocol:    pulumi.String("tcp"),
				FromPort:    pulumi.Int(22),
				ToPort:      pulumi.Int(22),
				CidrBlocks:  pulumi.ToStringArray(c.SSHCidrs),
			},
		},
		Egress: ec2.SecurityGroupEgressArray{
			&ec2.SecurityGroupEgressArgs{
				Description: pulumi.String("all outbound"),
				Protocol:    pulumi.String("-1"),
				FromPort:    pulumi.Int(0),
				ToPort:      pulumi.Int(0),
				CidrBlocks:  pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			},
		},
		Tags: pulumi.ToStringMap(c.tags("host")),
	})
}

// keyPair registers the environment's own public key.
func keyPair(ctx *pulumi.Context, c Config) (*ec2.KeyPair, error) {
	return ec2.NewKeyPair(ctx, c.prefix()+"-key", &ec2.KeyPairArgs{
		KeyNamePrefix: pulumi.String(c.prefix() + "-"),
		PublicKey:     pulumi.String(strings.TrimSpace(c.PublicKey)),
		Tags:          pulumi.ToStringMap(c.tags("key")),
	})
}
