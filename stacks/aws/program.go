package aws

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Output names exported by the program.
const (
	OutInstanceID         = "instanceId"
	OutPublicIP           = "publicIp"
	OutPublicDNS          = "publicDns"
	OutPrivateIP          = "privateIp" // the manager's address inside the VPC (workers join the swarm there)
	OutSSHUser            = "sshUser"
	OutHostKeyFingerprint = "hostKeyFingerprint"
	OutHostKey            = "hostKey" // the manager's public host key, when Config.HostKey is set
	// OutKeys holds Config.Keys, a secret: the environment's SSH material
	// for every machine that has the backend and the passphrase.
	OutKeys             = "sshKeys"
	OutBucket           = "bucketName"
	OutRepositoryURLs   = "repositoryUrls"
	OutDataVolumeID     = "dataVolumeId" // DataDevices(id) are its paths on the manager
	OutAvailabilityZone = "availabilityZone"
	// OutSpotRequestIDs lists the persistent spot requests of the hosts
	// (manager first; empty strings for on-demand hosts).
	OutSpotRequestIDs = "spotRequestIds"
	// OutWorkers lists the workers in order: name, instanceId, publicIp,
	// privateIp, publicDns, hostKey, hostKeyFingerprint, spotRequestId.
	OutWorkers = "workers"
	// OutUserDataBytes is the size of each host's user data as EC2 gets
	// it (at most UserDataMax), keyed by host name.
	OutUserDataBytes = "userDataBytes"
)

// Program returns the Pulumi program of one environment. The config is
// validated first, so a bad value fails before any resource is registered.
func Program(c Config) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outs, err := build(ctx, c)
		if err != nil {
			return err
		}
		for k, v := range outs {
			ctx.Export(k, v)
		}
		return nil
	}
}

// build registers the resources and returns the stack outputs.
func build(ctx *pulumi.Context, c Config) (pulumi.Map, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	where, err := place(ctx, c)
	if err != nil {
		return nil, err
	}
	// Data outlives the stack unless the user asked to delete it.
	data := []pulumi.ResourceOption{pulumi.RetainOnDelete(!c.DeleteData)}
	bucket, err := artifactBucket(ctx, c, data...)
	if err != nil {
		return nil, err
	}
	repos, err := repositories(ctx, c, data...)
	if err != nil {
		return nil, err
	}
	vol, err := dataVolume(ctx, c, where)
	if err != nil {
		return nil, err
	}
	profile, err := hostProfile(ctx, c, bucket, repos)
	if err != nil {
		return nil, err
	}
	sg, err := securityGroup(ctx, c)
	if err != nil {
		return nil, err
	}
	key, err := keyPair(ctx, c)
	if err != nil {
		return nil, err
	}
	shared := hostShared{ami: amiID(ctx, c), sg: sg, key: key, profile: profile, zone: where.zone}
	inst, size, err := manager(ctx, c, shared, vol)
	if err != nil {
		return nil, err
	}
	ip, err := address(ctx, c, "host", inst)
	if err != nil {
		return nil, err
	}
	ws, err := workers(ctx, c, shared)
	if err != nil {
		return nil, err
	}
	urls := pulumi.StringMap{}
	for i, img := range c.Images {
		urls[img] = repos[i].RepositoryUrl
	}
	spot := pulumi.Array{inst.SpotInstanceRequestId}
	for _, w := range ws {
		spot = append(spot, w.(pulumi.Map)["spotRequestId"])
	}
	outs := pulumi.Map{
		OutInstanceID:         inst.ID(),
		OutPublicIP:           ip.PublicIp,
		OutPublicDNS:          ip.PublicDns,
		OutPrivateIP:          inst.PrivateIp,
		OutSSHUser:            pulumi.String(c.SSHUser),
		OutHostKeyFingerprint: pulumi.String(c.HostKeyFingerprint),
		OutHostKey:            pulumi.String(c.HostKey),
		OutBucket:             bucket.Bucket,
		OutRepositoryURLs:     urls,
		OutDataVolumeID:       vol.ID(),
		OutAvailabilityZone:   pulumi.String(where.zone),
		OutSpotRequestIDs:     spot,
		OutWorkers:            ws,
		OutUserDataBytes:      c.userDataSizes(size),
	}
	if c.Keys != nil {
		outs[OutKeys] = c.Keys.Output()
	}
	return outs, nil
}

// Output is the keys as the OutKeys output: a secret in the state.
func (k *StateKeys) Output() pulumi.Output {
	return pulumi.ToSecret(pulumi.StringMap{
		"loginPrivate": pulumi.String(k.LoginPrivate), "loginPublic": pulumi.String(k.LoginPublic),
		"hostPrivate": pulumi.String(k.HostPrivate), "hostPublic": pulumi.String(k.HostPublic),
		"hostRotatedFor": pulumi.String(k.HostRotatedFor),
	})
}
