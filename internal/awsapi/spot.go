package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// CancelSpotRequests cancels persistent spot requests. It must come before
// their instances are terminated: a persistent request whose instance is
// gone launches another one (and bills it). Empty ids are ignored.
func (c *Client) CancelSpotRequests(ctx context.Context, ids []string) error {
	var live []string
	for _, id := range ids {
		if id != "" {
			live = append(live, id)
		}
	}
	if len(live) == 0 {
		return nil
	}
	if _, err := c.ec2.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: live}); err != nil {
		return fmt.Errorf("cancelling the spot requests %v: %w", live, err)
	}
	return nil
}
