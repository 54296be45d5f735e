package aws

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Output names exported by the program.
const (
	OutInstanceID         = "instanceId"
	OutPublicIP           = "publicIp"
	OutPublicDNS          = "publicDns"
	OutSSHUser            = "sshUser"
	OutHostKeyFingerprint = "hostKeyFingerprint"
	OutBucket             = "bucketName"
	OutRepositoryURLs     = "repositoryUrls"
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
	inst, err := host(ctx, c, sg, key, profile)
	if err != nil {
		return nil, err
	}
	urls := pulumi.StringMap{}
	for i, img := range c.Images {
		urls[img] = repos[i].RepositoryUrl
	}
	return pulumi.Map{
		OutInstanceID:         inst.ID(),
		OutPublicIP:           inst.PublicIp,
		OutPublicDNS:          inst.PublicDns,
		OutSSHUser:            pulumi.String(c.SSHUser),
		OutHostKeyFingerprint: pulumi.String(c.HostKeyFingerprint),
		OutBucket:             bucket.Bucket,
		OutRepositoryURLs:     urls,
	}, nil
}
