package aws

import (
	"strings"
	"testing"

	"github.com/mlforge/mlforge/bootstrap"
)

// The data volume: encrypted gp3 of the configured size, tagged so a later
// up finds it, kept by destroy unless DeleteData, never replaced, in the
// manager's zone and attached to it (stopping the host before detaching);
// the manager's user data names its device paths.
func TestDataVolumePolicy(t *testing.T) {
	c := testConfig()
	var devices []string
	c.ManagerUserData = func(d []string) ([]byte, error) {
		devices = d
		return bootstrap.Gzip([]byte(testUserData))
	}
	c.DataVolumeSize = 30
	p := plan(t, c)
	vol := one(t, p, "aws:ebs/volume:Volume")
	inst := one(t, p, "aws:ec2/instance:Instance")
	for path, want := range map[string]any{
		"type": "gp3", "encrypted": true, "size": float64(30), "availabilityZone": get(t, inst, "availabilityZone"),
		"tags.mlforge:project": "taxi", "tags.mlforge:environment": "dev", "tags.mlforge:role": "data", "tags.Name": "taxi-dev-data",
	} {
		if got := get(t, vol, path); got != want {
			t.Errorf("data volume %s = %v, want %v", path, got, want)
		}
	}
	if !vol.Retain || vol.Import != "" {
		t.Errorf("data volume: retain %v import %q; want kept by destroy and created new", vol.Retain, vol.Import)
	}
	if got := strings.Join(vol.IgnoreChanges, ","); got != "availabilityZone,encrypted,kmsKeyId,snapshotId" {
		t.Errorf("data volume ignoreChanges = %q: a change there would replace it and lose the data", got)
	}
	att := one(t, p, "aws:ec2/volumeAttachment:VolumeAttachment")
	for path, want := range map[string]any{"volumeId": "vol-0123456789abcdef0", "instanceId": "i-0123456789abcdef0",
		"deviceName": "/dev/sdf", "stopInstanceBeforeDetaching": true} {
		if got := get(t, att, path); got != want {
			t.Errorf("attachment %s = %v, want %v", path, got, want)
		}
	}
	if !att.DeleteBeforeReplace {
		t.Error("attachment: a replaced host could not take the volume while the old one holds it")
	}
	want := "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 /dev/xvdf"
	if got := strings.Join(devices, " "); got != want {
		t.Errorf("user data rendered for devices %q, want %q", got, want)
	}
	if p.Outputs[OutDataVolumeID] != "vol-0123456789abcdef0" || p.Outputs[OutAvailabilityZone] != "eu-west-1a" {
		t.Errorf("outputs: volume %v zone %v", p.Outputs[OutDataVolumeID], p.Outputs[OutAvailabilityZone])
	}

	c.DeleteData = true
	if vol := one(t, plan(t, c), "aws:ebs/volume:Volume"); vol.Retain {
		t.Error("delete data: the data volume is still retained")
	}
}

// After a destroy, the next up adopts the retained volume (its zone places
// the new host, its size never shrinks) instead of creating an empty one.
func TestRetainedVolumeIsAdopted(t *testing.T) {
	c := testConfig()
	m := &mockCloud{region: "eu-west-1", volumes: []mockVolume{{id: "vol-0aaaabbbbccccdddd", zone: "eu-west-1c", size: 40}}}
	p, err := planIn(c, m)
	if err != nil {
		t.Fatal(err)
	}
	vol := one(t, p, "aws:ebs/volume:Volume")
	if vol.Import != "vol-0aaaabbbbccccdddd" || get(t, vol, "size") != float64(40) || get(t, vol, "availabilityZone") != "eu-west-1c" {
		t.Errorf("retained volume: import %q size %v zone %v; want it adopted as it is", vol.Import, get(t, vol, "size"), get(t, vol, "availabilityZone"))
	}
	if got := get(t, one(t, p, "aws:ec2/instance:Instance"), "availabilityZone"); got != "eu-west-1c" {
		t.Errorf("host zone %v: it could not attach the volume", got)
	}
	if got := get(t, one(t, p, "aws:ec2/volumeAttachment:VolumeAttachment"), "volumeId"); got != "vol-0aaaabbbbccccdddd" {
		t.Errorf("attached %v, not the retained volume", got)
	}

	m.volumes = append(m.volumes, mockVolume{id: "vol-0eeeeffff00001111", zone: "eu-west-1a", size: 20})
	if _, err := planIn(c, m); err == nil || !strings.Contains(err.Error(), "vol-0aaaabbbbccccdddd, vol-0eeeeffff00001111") {
		t.Errorf("two tagged volumes: want an error naming both, got %v", err)
	}
}

// A host created before the data volume existed keeps its zone: the new
// volume goes there. Otherwise the first zone offering the type is used.
func TestZoneChoice(t *testing.T) {
	p, err := planIn(testConfig(), &mockCloud{region: "eu-west-1", hostZone: "eu-west-1b"})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, one(t, p, "aws:ebs/volume:Volume"), "availabilityZone"); got != "eu-west-1b" {
		t.Errorf("existing host in eu-west-1b: volume planned in %v", got)
	}
	p, err = planIn(testConfig(), &mockCloud{region: "eu-west-1", zones: []string{"eu-west-1c", "eu-west-1b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, one(t, p, "aws:ec2/instance:Instance"), "availabilityZone"); got != "eu-west-1b" {
		t.Errorf("offered in b and c: host planned in %v", got)
	}
	if _, err := planIn(testConfig(), &mockCloud{region: "eu-west-1", zones: []string{}}); err == nil || !strings.Contains(err.Error(), "aws.instanceType") {
		t.Errorf("type offered nowhere: got %v", err)
	}
}

// A bucket an earlier deployment left is adopted (the newest of several),
// so MLflow's artifacts stay with the environment.
func TestRetainedBucketIsAdopted(t *testing.T) {
	m := &mockCloud{region: "eu-west-1", buckets: []string{"taxi-dev-artifacts-20250101000000000000000001", "taxi-dev-artifacts-20260101000000000000000001"}}
	p, err := planIn(testConfig(), m)
	if err != nil {
		t.Fatal(err)
	}
	b := one(t, p, "aws:s3/bucketV2:BucketV2")
	if b.Import != m.buckets[1] || get(t, b, "bucket") != m.buckets[1] || b.Inputs["bucketPrefix"] != nil {
		t.Errorf("bucket: import %q inputs %v; want the newest retained bucket adopted", b.Import, b.Inputs)
	}
	if !b.Retain || strings.Join(b.IgnoreChanges, ",") != "bucket,bucketPrefix" {
		t.Errorf("bucket: retain %v ignoreChanges %v", b.Retain, b.IgnoreChanges)
	}
	if p.Outputs[OutBucket] != m.buckets[1] {
		t.Errorf("output %s = %v", OutBucket, p.Outputs[OutBucket])
	}
	for _, r := range p.Resources {
		if r.Type != "aws:s3/bucketV2:BucketV2" && r.Import != "" {
			t.Errorf("%s %s imported %q: only the bucket is adopted", r.Type, r.Name, r.Import)
		}
	}
	fresh := one(t, plan(t, testConfig()), "aws:s3/bucketV2:BucketV2")
	if fresh.Import != "" || get(t, fresh, "bucketPrefix") != "taxi-dev-artifacts-" || get(t, fresh, "tags.mlforge:role") != "artifacts" {
		t.Errorf("new bucket: %v import %q", fresh.Inputs, fresh.Import)
	}
}

// With the bootstrap's renderer, the manager's first boot mounts the data
// volume the stack created: its device paths are in the install command,
// and the whole fits EC2's limit.
func TestManagerUserDataFromBootstrap(t *testing.T) {
	host, err := bootstrap.GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	c := testConfig()
	c.HostKey = host.Public
	c.ManagerUserData = bootstrap.UserDataFor(bootstrap.CloudInitOptions{User: "ubuntu", HostKeys: []bootstrap.HostKey{host},
		AuthorizedKeys: []string{c.PublicKey}, Gzip: true})
	p := plan(t, c)
	inst := one(t, p, "aws:ec2/instance:Instance")
	ud := gunzipBase64(t, inst.raw["userDataBase64"].SecretValue().Element.StringValue())
	if !strings.Contains(ud, "- --data-device\n      - /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0\n      - --data-device\n      - /dev/xvdf\n") {
		t.Errorf("the install command does not name the data volume:\n%s", ud[:min(len(ud), 400)])
	}
	sizes := p.Outputs[OutUserDataBytes].(map[string]any)
	if n := sizes["host"].(float64); n > UserDataMax || n < 1000 {
		t.Errorf("user data %v bytes", n)
	}
	t.Logf("manager user data as EC2 gets it: %v bytes", sizes["host"])
	if p.Outputs[OutHostKey] != host.Public {
		t.Errorf("%s = %v", OutHostKey, p.Outputs[OutHostKey])
	}
}
