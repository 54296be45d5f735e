package awsapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// runHost starts an instance the way the environment's program does: a
// 50 GiB gp3 root volume, on-demand or as a persistent spot request that
// stops on interruption.
func runHost(t *testing.T, c *Client, spot bool) string {
	t.Helper()
	ctx := context.Background()
	imgs, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("moto images: %v", err)
	}
	img := imgs.Images[0]
	in := &ec2.RunInstancesInput{ImageId: img.ImageId, InstanceType: types.InstanceTypeT3Large,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		BlockDeviceMappings: []types.BlockDeviceMapping{{DeviceName: img.RootDeviceName,
			Ebs: &types.EbsBlockDevice{VolumeSize: aws.Int32(50), VolumeType: types.VolumeTypeGp3}}}}
	if spot {
		in.InstanceMarketOptions = &types.InstanceMarketOptionsRequest{MarketType: types.MarketTypeSpot,
			SpotOptions: &types.SpotMarketOptions{SpotInstanceType: types.SpotInstanceTypePersistent,
				InstanceInterruptionBehavior: types.InstanceInterruptionBehaviorStop}}
	}
	out, err := c.ec2.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if _, err := c.WaitRunning(ctx, id, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestStopStartDescribeAgainstMoto(t *testing.T) {
	c := motoClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := runHost(t, c, false)

	info, err := c.DescribeInstance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != id || info.State != "running" || info.Type != "t3.large" || info.Spot || info.RootDevice == "" ||
		time.Since(info.LaunchTime) > 10*time.Minute || len(info.VolumeIDs) != 1 || !strings.HasPrefix(info.AvailabilityZone, "eu-west-1") {
		t.Errorf("running host: %+v", info)
	}
	vols, err := c.InstanceVolumes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	root, err := RootVolume(info, vols)
	if err != nil || root.SizeGiB != 50 || root.Type != "gp3" || TotalGiB(vols) != 50 || root.ID != info.VolumeIDs[0] {
		t.Errorf("volumes %+v, root %+v (%v)", vols, root, err)
	}

	state, err := c.StopInstance(ctx, id)
	if err != nil || (state != "stopping" && state != "stopped") {
		t.Fatalf("stop: %q %v", state, err)
	}
	info, err = c.WaitStopped(ctx, id, 50*time.Millisecond)
	if err != nil || info.State != "stopped" {
		t.Fatalf("wait stopped: %+v %v", info, err)
	}
	// Stopping a stopped host changes nothing and is no error (a re-run converges).
	if state, err := c.StopInstance(ctx, id); err != nil || state != "stopped" {
		t.Errorf("second stop: %q %v", state, err)
	}
	// A stopped host keeps its volumes: they are what it still costs.
	if vols, err := c.InstanceVolumes(ctx, id); err != nil || TotalGiB(vols) != 50 {
		t.Errorf("volumes while stopped: %+v %v", vols, err)
	}

	state, err = c.StartInstance(ctx, id)
	if err != nil || (state != "pending" && state != "running") {
		t.Fatalf("start: %q %v", state, err)
	}
	if st, err := c.WaitRunning(ctx, id, 50*time.Millisecond); err != nil || st.State != "running" {
		t.Fatalf("wait running after start: %+v %v", st, err)
	}

	if _, err := c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartInstance(ctx, id); err == nil || !strings.Contains(err.Error(), "run mlforge up to create a new host") {
		t.Errorf("starting a terminated host: %v", err)
	}
	if _, err := c.WaitStopped(ctx, id, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "terminated") && !strings.Contains(err.Error(), "shutting-down") {
		t.Errorf("waiting for a terminated host to stop: %v", err)
	}
}

func TestSpotHostAgainstMoto(t *testing.T) {
	c := motoClient(t)
	ctx := context.Background()
	id := runHost(t, c, true)
	info, err := c.DescribeInstance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Spot || info.Type != "t3.large" {
		t.Errorf("spot host: %+v", info)
	}
}

func TestLifecycleErrorsAgainstMoto(t *testing.T) {
	c := motoClient(t)
	ctx := context.Background()
	const gone = "i-0000000000000dead"
	for name, call := range map[string]func() error{
		"describe": func() error { _, err := c.DescribeInstance(ctx, gone); return err },
		"stop":     func() error { _, err := c.StopInstance(ctx, gone); return err },
		"start":    func() error { _, err := c.StartInstance(ctx, gone); return err },
	} {
		err := call()
		if err == nil || !strings.Contains(err.Error(), gone) || !strings.Contains(err.Error(), "in eu-west-1") || !strings.Contains(err.Error(), "mlforge refresh") {
			t.Errorf("%s of a missing instance: %v", name, err)
		}
	}
}

// Persistent spot requests are cancelled by id; none makes no call at all.
// (moto cannot stand in here: its RequestSpotInstances answers in a shape
// the SDK cannot read, and it fails on requests it does not know.)
func TestCancelSpotRequests(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	closed, err := New(ctx, Options{Region: "eu-west-1", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := closed.CancelSpotRequests(ctx, []string{"", ""}); err != nil {
		t.Errorf("no requests made a call: %v", err)
	}
	if err := closed.CancelSpotRequests(ctx, []string{"sir-0123"}); err == nil || !strings.Contains(err.Error(), "sir-0123") {
		t.Errorf("an unreachable EC2: %v, want an error naming the request", err)
	}
}
