package aws

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ebs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tags that find the environment's data again after a destroy.
const (
	roleTag     = "mlforge:role"
	roleData    = "data"
	roleBucket  = "artifacts"
	projectTag  = "mlforge:project"
	envTag      = "mlforge:environment"
	hostNameTag = "Name"
)

// retainedVolume is a data volume that outlived an earlier host.
type retainedVolume struct {
	id, zone string
	size     int
}

// placement is where the manager and its data volume live.
type placement struct {
	zone   string          // availability zone of the data volume, manager and workers
	volume *retainedVolume // the volume to adopt; nil when a new one is created
}

// place looks, before registering anything, for what an earlier
// deployment of this environment left: its data volume (kept by destroy
// unless DeleteData, and found by its tags), whose zone then decides; else
// a running host created before the data volume existed, whose zone the
// new volume must share; else the first zone offering the instance type.
func place(ctx *pulumi.Context, c Config) (placement, error) {
	vol, err := findDataVolume(ctx, c)
	if err != nil || vol != nil {
		return placement{zone: zoneOf(vol), volume: vol}, err
	}
	zone, err := hostZone(ctx, c)
	if err != nil || zone != "" {
		return placement{zone: zone}, err
	}
	zone, err = offeredZone(ctx, c.InstanceType)
	return placement{zone: zone}, err
}

func zoneOf(v *retainedVolume) string {
	if v == nil {
		return ""
	}
	return v.zone
}

// envFilters select this environment's resources by their tags.
func (c Config) envFilters(extra ...string) map[string][]string {
	f := map[string][]string{"tag:" + projectTag: {c.Project}, "tag:" + envTag: {c.Env}}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i]] = []string{extra[i+1]}
	}
	return f
}

// findDataVolume returns the environment's data volume, or nil.
func findDataVolume(ctx *pulumi.Context, c Config) (*retainedVolume, error) {
	var filters []ebs.GetEbsVolumesFilter
	for k, v := range c.envFilters("tag:"+roleTag, roleData) {
		filters = append(filters, ebs.GetEbsVolumesFilter{Name: k, Values: v})
	}
	filters = append(filters, ebs.GetEbsVolumesFilter{Name: "status", Values: []string{"creating", "available", "in-use"}})
	sort.Slice(filters, func(i, j int) bool { return filters[i].Name < filters[j].Name })
	found, err := ebs.GetEbsVolumes(ctx, &ebs.GetEbsVolumesArgs{Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("looking for the data volume of %s/%s: %w", c.Project, c.Env, err)
	}
	switch len(found.Ids) {
	case 0:
		return nil, nil
	case 1:
	default:
		ids := append([]string(nil), found.Ids...)
		sort.Strings(ids)
		return nil, fmt.Errorf("several EBS volumes are tagged as the data volume of %s/%s (%s): keep the one with the data, delete or untag the others (tag %s), then run up again",
			c.Project, c.Env, strings.Join(ids, ", "), roleTag)
	}
	v, err := ebs.LookupVolume(ctx, &ebs.LookupVolumeArgs{Filters: []ebs.GetVolumeFilter{{Name: "volume-id", Values: found.Ids}}})
	if err != nil {
		return nil, fmt.Errorf("reading data volume %s: %w", found.Ids[0], err)
	}
	return &retainedVolume{id: v.Id, zone: v.AvailabilityZone, size: v.Size}, nil
}

// hostZone returns the zone of the environment's manager when one runs
// (or is stopped), "" otherwise.
func hostZone(ctx *pulumi.Context, c Config) (string, error) {
	var filters []ec2.GetInstancesFilter
	for k, v := range c.envFilters("tag:"+hostNameTag, c.prefix()+"-host") {
		filters = append(filters, ec2.GetInstancesFilter{Name: k, Values: v})
	}
	sort.Slice(filters, func(i, j int) bool { return filters[i].Name < filters[j].Name })
	found, err := ec2.GetInstances(ctx, &ec2.GetInstancesArgs{Filters: filters,
		InstanceStateNames: []string{"pending", "running", "stopping", "stopped"}})
	if err != nil {
		return "", fmt.Errorf("looking for the host of %s/%s: %w", c.Project, c.Env, err)
	}
	if len(found.Ids) == 0 {
		return "", nil
	}
	inst, err := ec2.LookupInstance(ctx, &ec2.LookupInstanceArgs{InstanceId: &found.Ids[0]})
	if err != nil {
		return "", fmt.Errorf("reading host %s: %w", found.Ids[0], err)
	}
	return inst.AvailabilityZone, nil
}

// offeredZone is the first availability zone (by name) offering the
// instance type, so a new environment never lands where its type is
// unavailable.
func offeredZone(ctx *pulumi.Context, instanceType string) (string, error) {
	loc := "availability-zone"
	res, err := ec2.GetInstanceTypeOfferings(ctx, &ec2.GetInstanceTypeOfferingsArgs{LocationType: &loc,
		Filters: []ec2.GetInstanceTypeOfferingsFilter{{Name: "instance-type", Values: []string{instanceType}}}})
	if err != nil {
		return "", fmt.Errorf("looking up the zones offering %s: %w", instanceType, err)
	}
	zones := append([]string(nil), res.Locations...)
	sort.Strings(zones)
	if len(zones) == 0 {
		return "", fmt.Errorf("aws.instanceType %s is not offered in any availability zone of this region; choose another type or aws.region", instanceType)
	}
	return zones[0], nil
}
