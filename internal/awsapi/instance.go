package awsapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// InstanceState is what EC2 says about an instance.
type InstanceState struct {
	State    string // pending, running, stopping, stopped, shutting-down, terminated
	Reason   string // state reason, when EC2 gives one
	PublicIP string
}

// Instance describes one instance.
func (c *Client) Instance(ctx context.Context, id string) (InstanceState, error) {
	out, err := c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return InstanceState{}, fmt.Errorf("describing instance %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			st := InstanceState{PublicIP: aws.ToString(in.PublicIpAddress)}
			if in.State != nil {
				st.State = string(in.State.Name)
			}
			if in.StateReason != nil {
				st.Reason = aws.ToString(in.StateReason.Message)
			}
			return st, nil
		}
	}
	return InstanceState{}, fmt.Errorf("instance %s not found in %s", id, c.Region)
}

// WaitRunning polls until the instance runs, failing at once if it is
// stopping or gone (spot reclaimed, capacity, quota), with EC2's reason.
func (c *Client) WaitRunning(ctx context.Context, id string, every time.Duration) (InstanceState, error) {
	for {
		st, err := c.Instance(ctx, id)
		if err != nil {
			return st, err
		}
		switch types.InstanceStateName(st.State) {
		case types.InstanceStateNameRunning:
			return st, nil
		case types.InstanceStateNameTerminated, types.InstanceStateNameShuttingDown,
			types.InstanceStateNameStopped, types.InstanceStateNameStopping:
			return st, fmt.Errorf("instance %s is %s: %s", id, st.State, orUnknown(st.Reason))
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("instance %s still %s: %w", id, st.State, ctx.Err())
		case <-time.After(every):
		}
	}
}

// ConsoleTail returns the last n lines of the instance's console output
// (boot and cloud-init messages), for diagnosing a host that never answers.
func (c *Client) ConsoleTail(ctx context.Context, id string, n int) (string, error) {
	out, err := c.ec2.GetConsoleOutput(ctx, &ec2.GetConsoleOutputInput{InstanceId: aws.String(id), Latest: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("reading the console output of %s: %w", id, err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.Output))
	if err != nil {
		return "", fmt.Errorf("decoding the console output of %s: %w", id, err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n"), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
