package aws

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// workerName is the name of worker i (0-based): worker-1, worker-2, ...
func workerName(i int) string { return fmt.Sprintf("worker-%d", i+1) }

// Swarm's ports between the members of the security group (Docker's
// "Use overlay networks": cluster management, node gossip, overlay data)
// and IPsec ESP, which encrypted overlay networks need.
// ESP is an IP protocol without ports ("50", ports 0).
var swarmPorts = []struct {
	protocol string
	port     int
	desc     string
}{
	{"tcp", 2377, "swarm cluster management"},
	{"tcp", 7946, "swarm node gossip"},
	{"udp", 7946, "swarm node gossip"},
	{"udp", 4789, "swarm overlay network (VXLAN)"},
	{"50", 0, "IPsec ESP for encrypted overlay networks"},
}

// swarmIngress opens the swarm ports only between members of the security
// group (self-referencing rules); nothing when there are no workers.
func swarmIngress(c Config) ec2.SecurityGroupIngressArray {
	if len(c.Workers) == 0 {
		return nil
	}
	var rules ec2.SecurityGroupIngressArray
	for _, p := range swarmPorts {
		rules = append(rules, &ec2.SecurityGroupIngressArgs{
			Description: pulumi.String(p.desc + " (members of this group only)"),
			Protocol:    pulumi.String(p.protocol),
			FromPort:    pulumi.Int(p.port),
			ToPort:      pulumi.Int(p.port),
			Self:        pulumi.Bool(true),
		})
	}
	return rules
}

// workers creates the worker hosts next to the manager: same zone, image,
// security group, role and login key, each with its own user data and
// pinned host key. Their outputs are what a client needs to reach and pin
// every one of them.
func workers(ctx *pulumi.Context, c Config, s hostShared) (pulumi.Array, error) {
	out := pulumi.Array{}
	for i, w := range c.Workers {
		name := workerName(i)
		inst, err := newHost(ctx, c, s, name, pulumi.String(base64.StdEncoding.EncodeToString(w.UserData)))
		if err != nil {
			return nil, err
		}
		ip, err := address(ctx, c, name, inst)
		if err != nil {
			return nil, err
		}
		out = append(out, pulumi.Map{
			"name":               pulumi.String(name),
			"instanceId":         inst.ID(),
			"publicIp":           ip.PublicIp,
			"privateIp":          inst.PrivateIp,
			"publicDns":          ip.PublicDns,
			"hostKey":            pulumi.String(w.HostKey),
			"hostKeyFingerprint": pulumi.String(w.HostKeyFingerprint),
			"spotRequestId":      inst.SpotInstanceRequestId,
		})
	}
	return out, nil
}
