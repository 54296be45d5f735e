package deploy

import (
	"strings"
	"testing"

	"github.com/mlforge/mlforge/provision"
)

func TestDataOfNamesWhatIsKept(t *testing.T) {
	outs := map[string]provision.Output{
		"bucketName":     {Value: "taxi-dev-artifacts-123"},
		"repositoryUrls": {Value: map[string]any{"serve": "1.dkr.ecr.x.amazonaws.com/serve", "jobs": "1.dkr.ecr.x.amazonaws.com/jobs"}},
		"dataVolumeId":   {Value: "vol-0123"},
	}
	got := strings.Join(dataOf(outs), " ")
	want := "1.dkr.ecr.x.amazonaws.com/jobs 1.dkr.ecr.x.amazonaws.com/serve s3://taxi-dev-artifacts-123 volume vol-0123"
	if got != want {
		t.Errorf("dataOf = %q, want %q", got, want)
	}
	if len(dataOf(nil)) != 0 {
		t.Error("dataOf(nil) not empty")
	}
}

func TestDataURNs(t *testing.T) {
	plan := &provision.Plan{Changes: []provision.Change{
		{Type: "aws:s3/bucketV2:BucketV2", URN: "u1"}, {Type: "aws:s3/bucketVersioningV2:BucketVersioningV2", URN: "u2"},
		{Type: "aws:ecr/repository:Repository", URN: "u3"}, {Type: "aws:ec2/instance:Instance", URN: "u4"},
		{Type: "aws:iam/role:Role", URN: "u5"}, {Type: "aws:ebs/volume:Volume", URN: "u6"},
		{Type: "aws:ec2/volumeAttachment:VolumeAttachment", URN: "u7"},
	}}
	if got := strings.Join(dataURNs(plan), ","); got != "u1,u2,u3,u6" {
		t.Errorf("dataURNs = %s", got)
	}
	var rest []string
	for _, c := range withoutData(plan).Changes {
		rest = append(rest, c.URN)
	}
	if got := strings.Join(rest, ","); got != "u4,u5,u7" {
		t.Errorf("withoutData = %s", got)
	}
}
