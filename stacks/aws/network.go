package aws

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// securityGroup allows SSH from c.SSHCidrs only (IPv4 and IPv6 ranges),
// and the swarm ports between the group's own members when there are
// workers; no service port is open (the UIs are reached through SSH
// tunnels). Outbound traffic is allowed so the hosts can install packages
// and pull images.
func securityGroup(ctx *pulumi.Context, c Config) (*ec2.SecurityGroup, error) {
	nets, err := c.sshNetworks()
	if err != nil {
		return nil, err
	}
	ssh := &ec2.SecurityGroupIngressArgs{
		Description: pulumi.String("SSH"),
		Protocol:    pulumi.String("tcp"),
		FromPort:    pulumi.Int(22),
		ToPort:      pulumi.Int(22),
	}
	if c.wide() {
		// The plan shows that a wide network was accepted on purpose.
		ssh.Description = pulumi.String("SSH (networks wider than /16 or /48 allowed by aws.allowWideSSH)")
	}
	if len(nets.v4) > 0 {
		ssh.CidrBlocks = pulumi.ToStringArray(nets.v4)
	}
	if len(nets.v6) > 0 {
		ssh.Ipv6CidrBlocks = pulumi.ToStringArray(nets.v6)
	}
	ingress := append(ec2.SecurityGroupIngressArray{ssh}, swarmIngress(c)...)
	desc := "mlforge " + c.Project + "/" + c.Env + ": SSH from allowed networks only"
	if len(c.Workers) > 0 {
		desc += ", swarm between members"
	}
	return ec2.NewSecurityGroup(ctx, c.securityGroupName(), &ec2.SecurityGroupArgs{
		Description: pulumi.String(desc),
		Ingress:     ingress,
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
		KeyNamePrefix: pulumi.String(c.keyNamePrefix()),
		PublicKey:     pulumi.String(strings.TrimSpace(c.PublicKey)),
		Tags:          pulumi.ToStringMap(c.tags("key")),
	})
}
