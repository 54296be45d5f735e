package aws

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MockAccount is the account id the offline plan pretends to run in.
const MockAccount = "123456789012"

// Planned is one resource the program would create, as seen offline.
type Planned struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Inputs map[string]any `json:"inputs"`
	// IgnoreChanges lists inputs whose later changes leave the resource as is.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// Import is the id of an existing resource the program adopts.
	Import string `json:"import,omitempty"`
	// Retain is set when destroying the stack leaves the resource in place.
	Retain bool `json:"retainOnDelete,omitempty"`
	// DeleteBeforeReplace is set when a replacement removes the old resource first.
	DeleteBeforeReplace bool `json:"deleteBeforeReplace,omitempty"`

	raw resource.PropertyMap
}

// Plan is the whole offline plan: resources in registration order and the
// stack outputs (with placeholder values for what AWS would assign).
type Plan struct {
	Resources []Planned      `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
}

// PlanOffline runs the program under Pulumi's mocks: no engine, no provider,
// no credentials. Values AWS would compute (ARNs, addresses) are
// placeholders; secrets are shown as "[secret]".
func PlanOffline(c Config, region string) (*Plan, error) {
	return planIn(c, &mockCloud{region: region})
}

// planIn runs the program against the mock cloud m, which may hold what
// an earlier deployment left (tests of adoption).
func planIn(c Config, m *mockCloud) (*Plan, error) {
	var outputs map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := build(ctx, c)
		if err != nil {
			return err
		}
		// Unwrapping the outputs reveals secrets: the keys show as such.
		if _, ok := outs[OutKeys]; ok {
			outs[OutKeys] = pulumi.String("[secret]")
		}
		outs.ToMapOutput().ApplyT(func(v map[string]any) error {
			// Round-trip through JSON so values have the types --json prints.
			b, err := json.Marshal(v)
			if err == nil {
				err = json.Unmarshal(b, &outputs)
			}
			return err
		})
		return nil
	}, pulumi.WithMocks(c.Project, c.Env, m))
	if err != nil {
		return nil, fmt.Errorf("planning offline: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var res []Planned
	for _, r := range m.resources {
		if r.Type != "pulumi:pulumi:Stack" {
			res = append(res, r)
		}
	}
	// Registration order varies run to run; plans must diff cleanly.
	sort.SliceStable(res, func(i, j int) bool {
		if res[i].Name != res[j].Name {
			return res[i].Name < res[j].Name
		}
		return res[i].Type < res[j].Type
	})
	return &Plan{Resources: res, Outputs: outputs}, nil
}

// mockCloud answers the program's registrations and invokes. Offline it
// holds nothing; tests put in what an earlier deployment left behind.
type mockCloud struct {
	region    string
	mu        sync.Mutex
	resources []Planned

	volumes  []mockVolume // EBS volumes tagged as this environment's data
	buckets  []string     // buckets tagged as this environment's artifacts
	hostZone string       // zone of a running host found by its tags
	zones    []string     // zones offering the instance type (default: the region's a, b, c)
}

// mockVolume is an existing EBS volume.
type mockVolume struct {
	id, zone string
	size     int
}

func (m *mockCloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	res := func(v map[string]any) (resource.PropertyMap, error) { return resource.NewPropertyMapFromMap(v), nil }
	switch args.Token {
	case "aws:ssm/getParameter:getParameter":
		name := args.Args["name"].StringValue()
		return res(map[string]any{
			"name": name, "type": "String", "value": "ami-0123456789abcdef0",
			"insecureValue": "ami-0123456789abcdef0", "arn": "arn:aws:ssm:" + m.region + "::parameter" + name,
		})
	case "aws:ebs/getEbsVolumes:getEbsVolumes":
		ids := []any{}
		for _, v := range m.volumes {
			ids = append(ids, v.id)
		}
		return res(map[string]any{"id": m.region, "ids": ids})
	case "aws:ebs/getVolume:getVolume":
		for _, v := range m.volumes {
			return res(map[string]any{"id": v.id, "volumeId": v.id, "availabilityZone": v.zone, "size": v.size,
				"encrypted": true, "volumeType": "gp3"})
		}
	case "aws:ec2/getInstances:getInstances":
		ids := []any{}
		if m.hostZone != "" {
			ids = append(ids, "i-0aaaaaaaaaaaaaaaa")
		}
		return res(map[string]any{"id": m.region, "ids": ids})
	case "aws:ec2/getInstance:getInstance":
		return res(map[string]any{"id": "i-0aaaaaaaaaaaaaaaa", "availabilityZone": m.hostZone})
	case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
		return m.offerings()
	case "aws:resourcegroupstaggingapi/getResources:getResources":
		list := []any{}
		for _, b := range m.buckets {
			list = append(list, map[string]any{"resourceArn": "arn:aws:s3:::" + b, "tags": map[string]any{roleTag: roleBucket}})
		}
		return res(map[string]any{"id": m.region, "resourceTagMappingLists": list})
	case "aws:s3/getBucket:getBucket":
		b := args.Args["bucket"].StringValue()
		return res(map[string]any{"id": b, "bucket": b, "arn": "arn:aws:s3:::" + b, "region": m.region})
	}
	return nil, fmt.Errorf("offline plan: no mock for %s", args.Token)
}

func (m *mockCloud) offerings() (resource.PropertyMap, error) {
	zones := m.zones
	if zones == nil {
		zones = []string{m.region + "b", m.region + "a", m.region + "c"}
	}
	locs := []any{}
	for _, z := range zones {
		locs = append(locs, z)
	}
	return resource.NewPropertyMapFromMap(map[string]any{"id": m.region, "locations": locs, "locationTypes": []any{}, "instanceTypes": []any{}}), nil
}

func (m *mockCloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	p := Planned{Type: args.TypeToken, Name: args.Name, Inputs: plain(args.Inputs), raw: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		p.IgnoreChanges = rpc.GetIgnoreChanges()
		p.Import = rpc.GetImportId()
		p.Retain = rpc.GetRetainOnDelete()
		p.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
	}
	m.resources = append(m.resources, p)
	m.mu.Unlock()
	out := args.Inputs.Copy()
	id := args.Name
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		id = prefixOr(args.Inputs, "bucketPrefix", args.Name) + "0123456789"
		if args.ID != "" {
			id = args.ID
		}
		set("bucket", id)
		set("arn", "arn:aws:s3:::"+id)
	case "aws:ecr/repository:Repository":
		name := args.Name + "-abc1234"
		set("name", name)
		set("arn", fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", m.region, MockAccount, name))
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", MockAccount, m.region, name))
	case "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile":
		set("name", args.Name+"-abc1234")
		set("arn", fmt.Sprintf("arn:aws:iam::%s:%s/%s-abc1234", MockAccount, strings.ToLower(args.TypeToken[strings.LastIndex(args.TypeToken, ":")+1:]), args.Name))
	case "aws:ec2/keyPair:KeyPair":
		set("keyName", prefixOr(args.Inputs, "keyNamePrefix", args.Name)+"0123456789")
	case "aws:ec2/securityGroup:SecurityGroup":
		id = "sg-0123456789abcdef0"
	case "aws:ec2/instance:Instance":
		id = "i-0123456789abcdef0"
		if i := strings.LastIndex(args.Name, "-worker-"); i > 0 {
			id = "i-0123456789abcd" + fmt.Sprintf("%03s", args.Name[i+len("-worker-"):])
		}
		set("publicIp", "198.51.100.10")
		set("privateIp", "172.31.0.10")
		set("publicDns", "ec2-198-51-100-10."+m.region+".compute.amazonaws.com")
		set("spotInstanceRequestId", "")
		if _, spot := args.Inputs["instanceMarketOptions"]; spot {
			set("spotInstanceRequestId", "sir-"+strings.TrimPrefix(id, "i-0123456789"))
		}
	case "aws:ec2/eip:Eip":
		id = "eipalloc-0123456789abcdef0"
		set("allocationId", id)
		set("publicIp", "198.51.100.20")
		set("publicDns", "ec2-198-51-100-20."+m.region+".compute.amazonaws.com")
	case "aws:ebs/volume:Volume":
		id = "vol-0123456789abcdef0"
		if args.ID != "" {
			id = args.ID
		}
	}
	return id, out, nil
}

func prefixOr(in resource.PropertyMap, key, def string) string {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return def
}

// plain turns property values into JSON-friendly values, masking secrets.
func plain(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k] = plainValue(m[resource.PropertyKey(k)])
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed() || v.IsOutput() && !v.OutputValue().Known:
		return "(known after apply)"
	case v.IsOutput():
		if v.OutputValue().Secret {
			return "[secret]"
		}
		return plainValue(v.OutputValue().Element)
	case v.IsObject():
		return plain(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsNull():
		return nil
	}
	return v.Mappable()
}
