package awsapi

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Volume is an EBS volume attached to an instance: what a stopped
// environment still pays for.
type Volume struct {
	ID              string
	Device          string // where it is attached, e.g. /dev/sda1
	SizeGiB         int
	Type            string // gp3, gp2, io2, ...
	IOPS            int
	ThroughputMiBps int
}

// InstanceVolumes looks up the size and type of every EBS volume attached
// to the instance (ec2:DescribeVolumes), sorted by device.
func (c *Client) InstanceVolumes(ctx context.Context, id string) ([]Volume, error) {
	in := &ec2.DescribeVolumesInput{Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{id}}}}
	var vols []Volume
	p := ec2.NewDescribeVolumesPaginator(c.ec2, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.explain("listing the volumes of instance", id, err)
		}
		for _, v := range out.Volumes {
			vol := Volume{ID: aws.ToString(v.VolumeId), SizeGiB: int(aws.ToInt32(v.Size)), Type: string(v.VolumeType),
				IOPS: int(aws.ToInt32(v.Iops)), ThroughputMiBps: int(aws.ToInt32(v.Throughput))}
			for _, a := range v.Attachments {
				if aws.ToString(a.InstanceId) == id {
					vol.Device = aws.ToString(a.Device)
				}
			}
			vols = append(vols, vol)
		}
	}
	sort.Slice(vols, func(i, j int) bool { return vols[i].Device < vols[j].Device })
	return vols, nil
}

// TotalGiB adds up the volumes' sizes.
func TotalGiB(vols []Volume) int {
	n := 0
	for _, v := range vols {
		n += v.SizeGiB
	}
	return n
}

// RootVolume finds the volume on the instance's root device.
func RootVolume(info InstanceInfo, vols []Volume) (Volume, error) {
	for _, v := range vols {
		if v.Device == info.RootDevice {
			return v, nil
		}
	}
	return Volume{}, fmt.Errorf("instance %s: no volume on its root device %s", info.ID, info.RootDevice)
}
