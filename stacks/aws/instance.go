package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// amiID is c.AMI, or the current Ubuntu 24.04 image for the instance
// type's architecture, read from the SSM public parameter.
func amiID(ctx *pulumi.Context, c Config) pulumi.StringInput {
	if c.AMI != "" {
		return pulumi.String(c.AMI)
	}
	return ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{
		Name: pulumi.String(fmt.Sprintf(UbuntuParameter, Arch(c.InstanceType))),
	}).InsecureValue()
}

// host creates the EC2 instance: IMDSv2 required (hop limit 2 so containers
// reach the role's credentials), an encrypted gp3 root volume, optional spot
// and the cloud-init user data kept secret in the state. Later changes of
// the AMI or user data are ignored rather than replacing the host.
func host(ctx *pulumi.Context, c Config, sg *ec2.SecurityGroup, key *ec2.KeyPair, profile *iam.InstanceProfile) (*ec2.Instance, error) {
	args := &ec2.InstanceArgs{
		Ami:                      amiID(ctx, c),
		InstanceType:             pulumi.String(c.InstanceType),
		KeyName:                  key.KeyName,
		IamInstanceProfile:       profile.Name,
		VpcSecurityGroupIds:      pulumi.StringArray{sg.ID()},
		AssociatePublicIpAddress: pulumi.Bool(true),
		UserData:                 pulumi.ToSecret(pulumi.String(c.UserData)).(pulumi.StringOutput),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(2),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			VolumeType:          pulumi.String("gp3"),
			VolumeSize:          pulumi.Int(c.VolumeSize),
			Encrypted:           pulumi.Bool(true),
			DeleteOnTermination: pulumi.Bool(true),
		},
		Tags:       pulumi.ToStringMap(c.tags("host")),
		VolumeTags: pulumi.ToStringMap(c.tags("host")),
	}
	if c.Spot {
		args.InstanceMarketOptions = &ec2.InstanceInstanceMarketOptionsArgs{
			MarketType: pulumi.String("spot"),
			SpotOptions: &ec2.InstanceInstanceMarketOptionsSpotOptionsArgs{
				SpotInstanceType:             pulumi.String("one-time"),
				InstanceInterruptionBehavior: pulumi.String("terminate"),
			},
		}
	}
	// The AMI parameter moves with every Ubuntu release, the bootstrap
	// script with every mlforge release, and a regenerated key pair gets a
	// new name; all matter at first boot only, so none may replace a
	// running host (and its data) on a later up.
	return ec2.NewInstance(ctx, c.prefix()+"-host", args, pulumi.IgnoreChanges([]string{"ami", "userData", "keyName"}))
}
