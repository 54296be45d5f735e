package aws

import (
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// dataDeviceName is the device name the data volume is attached as. On
// Nitro instances it shows up as an NVMe disk instead, found by the
// volume id (DataDevices).
const dataDeviceName = "/dev/sdf"

// DataDevices are the paths under which the EBS volume volumeID, attached
// as /dev/sdf, appears on the host: the NVMe link udev makes from the
// volume id (Nitro instances expose it as the disk's serial number, without
// the dash) and the Xen block device of older instance families. The
// install script takes the first that exists (bootstrap.Options.DataDevices).
func DataDevices(volumeID string) []string {
	return []string{
		"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_" + strings.ReplaceAll(volumeID, "-", ""),
		"/dev/xvdf",
	}
}

// dataVolume registers the environment's data volume: encrypted gp3, kept
// when the stack is destroyed unless DeleteData, and adopted (imported)
// when an earlier deployment left one, so a new host finds the team's
// MLflow registry, prediction logs and metrics again. Properties that
// would replace it (zone, encryption, key, snapshot) are never changed
// from here, and it only grows: a smaller aws.dataVolumeSize than the
// volume's keeps its size.
func dataVolume(ctx *pulumi.Context, c Config, p placement) (*ebs.Volume, error) {
	size := c.DataVolumeSize
	if size == 0 {
		size = DefaultDataVolumeSize
	}
	opts := []pulumi.ResourceOption{
		pulumi.RetainOnDelete(!c.DeleteData),
		pulumi.IgnoreChanges([]string{"availabilityZone", "encrypted", "kmsKeyId", "snapshotId"}),
	}
	if p.volume != nil {
		opts = append(opts, pulumi.Import(pulumi.ID(p.volume.id)))
		if p.volume.size > size {
			size = p.volume.size
		}
	}
	tags := c.tags("data")
	tags[roleTag] = roleData
	return ebs.NewVolume(ctx, c.prefix()+"-data", &ebs.VolumeArgs{
		AvailabilityZone: pulumi.String(p.zone),
		Size:             pulumi.Int(size),
		Type:             pulumi.String("gp3"),
		Encrypted:        pulumi.Bool(true),
		Tags:             pulumi.ToStringMap(tags),
	}, opts...)
}

// attachData attaches the data volume to the manager. Detaching stops the
// instance first, so the file system is cleanly unmounted; a replaced host
// gets the volume after the old one let go of it.
func attachData(ctx *pulumi.Context, c Config, vol *ebs.Volume, inst *ec2.Instance) error {
	_, err := ec2.NewVolumeAttachment(ctx, c.prefix()+"-data", &ec2.VolumeAttachmentArgs{
		DeviceName:                  pulumi.String(dataDeviceName),
		VolumeId:                    vol.ID(),
		InstanceId:                  inst.ID(),
		StopInstanceBeforeDetaching: pulumi.Bool(true),
	}, pulumi.DeleteBeforeReplace(true))
	return err
}
