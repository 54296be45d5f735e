package aws

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// address gives a host an Elastic IP: the same public address across
// stops and starts, so the outputs (and the commands that read only them)
// stay right after the idle stop and `mlforge start`. AWS charges any
// public IPv4 address the same $0.005 an hour while the host runs; this
// one also while it is stopped, which the cost estimate counts.
func address(ctx *pulumi.Context, c Config, name string, inst *ec2.Instance) (*ec2.Eip, error) {
	return ec2.NewEip(ctx, c.prefix()+"-"+name+"-ip", &ec2.EipArgs{
		Domain:   pulumi.String("vpc"),
		Instance: inst.ID(),
		Tags:     pulumi.ToStringMap(c.tags(name + "-ip")),
	}, pulumi.DeleteBeforeReplace(true))
}
