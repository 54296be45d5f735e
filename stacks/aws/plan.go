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
	m := &mockCloud{region: region}
	var outputs map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := build(ctx, c)
		if err != nil {
			return err
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

// mockCloud answers the program's registrations and invokes.
type mockCloud struct {
	region    string
	mu        sync.Mutex
	resources []Planned
}

func (m *mockCloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:ssm/getParameter:getParameter":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name, "type": "String", "value": "ami-0123456789abcdef0",
			"insecureValue": "ami-0123456789abcdef0", "arn": "arn:aws:ssm:" + m.region + "::parameter" + name,
		}), nil
	}
	return nil, fmt.Errorf("offline plan: no mock for %s", args.Token)
}

func (m *mockCloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	p := Planned{Type: args.TypeToken, Name: args.Name, Inputs: plain(args.Inputs), raw: args.Inputs}
	if args.RegisterRPC != nil {
		p.IgnoreChanges = args.RegisterRPC.GetIgnoreChanges()
	}
	m.resources = append(m.resources, p)
	m.mu.Unlock()
	out := args.Inputs.Copy()
	id := args.Name
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		id = prefixOr(args.Inputs, "bucketPrefix", args.Name) + "0123456789"
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
		set("publicIp", "198.51.100.10")
		set("publicDns", "ec2-198-51-100-10."+m.region+".compute.amazonaws.com")
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
