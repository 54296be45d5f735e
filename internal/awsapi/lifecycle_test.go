package awsapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// codeError is a service error as the SDK returns it (smithy.APIError).
type codeError string

func (e codeError) Error() string     { return "api error " + string(e) }
func (e codeError) ErrorCode() string { return string(e) }

func TestExplainNamesWhatToDo(t *testing.T) {
	c := &Client{Region: "eu-west-1"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{codeError("IncorrectInstanceState"), "between states"},
		{codeError("UnsupportedOperation"), "one-time spot instance cannot be stopped"},
		{codeError("InsufficientInstanceCapacity"), "change aws.instanceType"},
		{codeError("UnauthorizedOperation"), "ec2:StopInstances/ec2:StartInstances"},
		{fmt.Errorf("operation error EC2: %w", codeError("VcpuLimitExceeded")), "vCPU quota in eu-west-1"},
		{codeError("SomethingNew"), "api error SomethingNew"},
		{errors.New("dial tcp: timeout"), "dial tcp: timeout"},
	} {
		err := c.explain("stopping instance", "i-0abc", tc.err)
		if !strings.Contains(err.Error(), "stopping instance i-0abc") || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("%v: got %q, want it to contain %q and wrap the cause", tc.err, err, tc.want)
		}
	}
}

func TestVolumeHelpers(t *testing.T) {
	vols := []Volume{{ID: "vol-1", Device: "/dev/sda1", SizeGiB: 50}, {ID: "vol-2", Device: "/dev/sdf", SizeGiB: 100}}
	if TotalGiB(vols) != 150 {
		t.Errorf("TotalGiB = %d", TotalGiB(vols))
	}
	if v, err := RootVolume(InstanceInfo{ID: "i-1", RootDevice: "/dev/sda1"}, vols); err != nil || v.ID != "vol-1" {
		t.Errorf("root: %+v %v", v, err)
	}
	if _, err := RootVolume(InstanceInfo{ID: "i-1", RootDevice: "/dev/xvda"}, vols); err == nil || !strings.Contains(err.Error(), "no volume on its root device /dev/xvda") {
		t.Errorf("missing root: %v", err)
	}
}
