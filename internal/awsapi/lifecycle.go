package awsapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// InstanceInfo is what mlforge status and envs show about a host.
type InstanceInfo struct {
	ID    string
	State string // pending, running, stopping, stopped, shutting-down, terminated
	// Reason says why the instance last changed state, when EC2 says
	// (for example "Client.InstanceInitiatedShutdown" after an idle stop).
	Reason string
	Type   string
	// LaunchTime is the last start: the uptime of a running instance.
	LaunchTime       time.Time
	Spot             bool
	SpotRequestID    string
	PublicIP         string
	AvailabilityZone string
	RootDevice       string
	VolumeIDs        []string
}

// DescribeInstance describes one instance (ec2:DescribeInstances).
func (c *Client) DescribeInstance(ctx context.Context, id string) (InstanceInfo, error) {
	out, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return InstanceInfo{}, c.explain("describing instance", id, err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			return instanceInfo(in), nil
		}
	}
	return InstanceInfo{}, fmt.Errorf("instance %s not found in %s (was the environment destroyed? mlforge refresh reconciles the state)", id, c.Region)
}

func instanceInfo(in types.Instance) InstanceInfo {
	info := InstanceInfo{ID: aws.ToString(in.InstanceId), Type: string(in.InstanceType), LaunchTime: aws.ToTime(in.LaunchTime),
		Spot: in.InstanceLifecycle == types.InstanceLifecycleTypeSpot, SpotRequestID: aws.ToString(in.SpotInstanceRequestId),
		PublicIP: aws.ToString(in.PublicIpAddress), RootDevice: aws.ToString(in.RootDeviceName)}
	if in.State != nil {
		info.State = string(in.State.Name)
	}
	switch {
	case in.StateReason != nil && aws.ToString(in.StateReason.Code) != "":
		info.Reason = aws.ToString(in.StateReason.Code)
	case aws.ToString(in.StateTransitionReason) != "":
		info.Reason = aws.ToString(in.StateTransitionReason)
	}
	if in.Placement != nil {
		info.AvailabilityZone = aws.ToString(in.Placement.AvailabilityZone)
	}
	for _, m := range in.BlockDeviceMappings {
		if m.Ebs != nil {
			info.VolumeIDs = append(info.VolumeIDs, aws.ToString(m.Ebs.VolumeId))
		}
	}
	return info
}

// StopInstance stops the instance (ec2:StopInstances) and returns its
// state: "stopping", or "stopped" when it already was (then nothing is
// asked of EC2, so a re-run converges). Its volumes, and with them the
// stack's data, stay.
func (c *Client) StopInstance(ctx context.Context, id string) (string, error) {
	info, err := c.DescribeInstance(ctx, id)
	if err != nil {
		return "", err
	}
	switch types.InstanceStateName(info.State) {
	case types.InstanceStateNameStopped, types.InstanceStateNameStopping:
		return info.State, nil
	case types.InstanceStateNameTerminated, types.InstanceStateNameShuttingDown:
		return info.State, fmt.Errorf("stopping instance %s: it is %s (%s); nothing is left to stop", id, info.State, orUnknown(info.Reason))
	}
	out, err := c.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return "", c.explain("stopping instance", id, err)
	}
	return changedState(out.StoppingInstances, id)
}

// StartInstance starts a stopped instance (ec2:StartInstances) and returns
// its state: "pending", or "running"/"pending" when it already was. An
// instance still stopping cannot start yet: WaitStopped first.
func (c *Client) StartInstance(ctx context.Context, id string) (string, error) {
	info, err := c.DescribeInstance(ctx, id)
	if err != nil {
		return "", err
	}
	switch types.InstanceStateName(info.State) {
	case types.InstanceStateNameRunning, types.InstanceStateNamePending:
		return info.State, nil
	case types.InstanceStateNameStopping:
		return info.State, fmt.Errorf("starting instance %s: it is still stopping; wait until it is stopped, then start it", id)
	case types.InstanceStateNameTerminated, types.InstanceStateNameShuttingDown:
		return info.State, fmt.Errorf("starting instance %s: it is %s (%s); run mlforge up to create a new host", id, info.State, orUnknown(info.Reason))
	}
	out, err := c.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return "", c.explain("starting instance", id, err)
	}
	return changedState(out.StartingInstances, id)
}

func changedState(changes []types.InstanceStateChange, id string) (string, error) {
	for _, ch := range changes {
		if aws.ToString(ch.InstanceId) == id && ch.CurrentState != nil {
			return string(ch.CurrentState.Name), nil
		}
	}
	return "", fmt.Errorf("instance %s: EC2 did not report its new state", id)
}

// WaitStopped polls until the instance is stopped, failing at once if it
// is terminated or being terminated.
func (c *Client) WaitStopped(ctx context.Context, id string, every time.Duration) (InstanceInfo, error) {
	for {
		info, err := c.DescribeInstance(ctx, id)
		if err != nil {
			return info, err
		}
		switch types.InstanceStateName(info.State) {
		case types.InstanceStateNameStopped:
			return info, nil
		case types.InstanceStateNameTerminated, types.InstanceStateNameShuttingDown:
			return info, fmt.Errorf("instance %s is %s: %s", id, info.State, orUnknown(info.Reason))
		}
		select {
		case <-ctx.Done():
			return info, fmt.Errorf("instance %s still %s: %w", id, info.State, ctx.Err())
		case <-time.After(every):
		}
	}
}

// apiError is what the SDK's service errors implement (smithy.APIError).
type apiError interface {
	error
	ErrorCode() string
}

// explain turns EC2's error codes into what the user can do about them.
func (c *Client) explain(doing, id string, err error) error {
	var ae apiError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s %s: %w", doing, id, err)
	}
	hint := map[string]string{
		"InvalidInstanceID.NotFound":            "it does not exist in " + c.Region + " (was the environment destroyed? mlforge refresh reconciles the state)",
		"InvalidInstanceID.Malformed":           "that is not an instance id (i-0123456789abcdef0)",
		"IncorrectInstanceState":                "it is between states (pending, stopping or shutting down): wait a minute and run the command again",
		"UnsupportedOperation":                  "EC2 cannot do that to this instance; a one-time spot instance cannot be stopped (mlforge's spot hosts use a persistent request that stops on interruption)",
		"InsufficientInstanceCapacity":          "AWS has no capacity for this instance type in its availability zone right now: try again later, or change aws.instanceType",
		"UnauthorizedOperation":                 "your AWS credentials may not do this (ec2:StopInstances/ec2:StartInstances on the instance)",
		"InstanceLimitExceeded":                 "your account's instance quota in " + c.Region + " is used up: raise it in Service Quotas",
		"VcpuLimitExceeded":                     "your account's vCPU quota in " + c.Region + " is used up: raise it in Service Quotas",
		"InsufficientCapacityOnHost":            "the dedicated host has no room: try again later",
		"SpotMaxPriceTooLow":                    "the spot price is above the request's maximum price",
		"InvalidParameterCombination":           "EC2 rejected the request's parameters",
		"InvalidSpotInstanceRequestID.NotFound": "its spot request no longer exists",
	}[ae.ErrorCode()]
	if hint == "" {
		return fmt.Errorf("%s %s: %w", doing, id, err)
	}
	return fmt.Errorf("%s %s: %s (%s: %w)", doing, id, hint, ae.ErrorCode(), err)
}
