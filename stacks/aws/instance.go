package aws

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
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

// hostShared is what every instance of the environment shares.
type hostShared struct {
	ami     pulumi.StringInput
	sg      *ec2.SecurityGroup
	key     *ec2.KeyPair
	profile *iam.InstanceProfile
	zone    string
}

// ignoredHostChanges matter at first boot only (the AMI parameter moves
// with every Ubuntu release, user data with every mlforge release, a
// regenerated key pair gets a new name, the zone was chosen once), so none
// may replace a running host, and its data, on a later up.
var ignoredHostChanges = []string{"ami", "userData", "userDataBase64", "keyName", "availabilityZone"}

// newHost creates one EC2 instance: IMDSv2 required (hop limit 2 so
// containers reach the role's credentials), an encrypted gp3 root volume,
// shutdown from inside stops rather than terminates it (an idle host stops
// itself and keeps its disks), spot when asked (a persistent request whose
// interruption stops the instance, so its volumes survive) and the user
// data, gzip-compressed, kept secret in the state.
func newHost(ctx *pulumi.Context, c Config, s hostShared, name string, userData pulumi.StringInput) (*ec2.Instance, error) {
	args := &ec2.InstanceArgs{
		Ami:                               s.ami,
		InstanceType:                      pulumi.String(c.InstanceType),
		AvailabilityZone:                  pulumi.String(s.zone),
		KeyName:                           s.key.KeyName,
		IamInstanceProfile:                s.profile.Name,
		VpcSecurityGroupIds:               pulumi.StringArray{s.sg.ID()},
		AssociatePublicIpAddress:          pulumi.Bool(true),
		InstanceInitiatedShutdownBehavior: pulumi.String("stop"),
		UserDataBase64:                    pulumi.ToSecret(userData).(pulumi.StringOutput),
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
		Tags:       pulumi.ToStringMap(c.tags(name)),
		VolumeTags: pulumi.ToStringMap(c.tags(name)),
	}
	if c.Spot {
		args.InstanceMarketOptions = &ec2.InstanceInstanceMarketOptionsArgs{
			MarketType: pulumi.String("spot"),
			SpotOptions: &ec2.InstanceInstanceMarketOptionsSpotOptionsArgs{
				SpotInstanceType:             pulumi.String("persistent"),
				InstanceInterruptionBehavior: pulumi.String("stop"),
			},
		}
	}
	return ec2.NewInstance(ctx, c.prefix()+"-"+name, args, pulumi.IgnoreChanges(ignoredHostChanges))
}

// manager creates the manager host with its data volume attached; its
// user data names the volume's device paths so the first boot mounts it
// before Docker starts. It also returns the user data's size.
func manager(ctx *pulumi.Context, c Config, s hostShared, vol *ebs.Volume) (*ec2.Instance, pulumi.IntOutput, error) {
	ud := vol.ID().ToStringOutput().ApplyT(func(id string) (string, error) {
		b, err := c.managerUserData(DataDevices(id))
		return base64.StdEncoding.EncodeToString(b), err
	}).(pulumi.StringOutput)
	size := ud.ApplyT(func(s string) (int, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		return len(b), err
	}).(pulumi.IntOutput)
	inst, err := newHost(ctx, c, s, "host", ud)
	if err != nil {
		return nil, size, err
	}
	return inst, size, attachData(ctx, c, vol, inst)
}
