package cli

import (
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/provision"
)

func TestConfirmNeedsYesWithoutTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IO: ios}
	err := confirm(f, false, "Destroy?", "pass --yes to destroy without a terminal")
	if !errs.IsUsage(err) || errs.Hint(err) != "pass --yes to destroy without a terminal" {
		t.Errorf("no terminal: %v (hint %q)", err, errs.Hint(err))
	}
	if err := confirm(f, true, "Destroy?", ""); err != nil {
		t.Errorf("--yes: %v", err)
	}
}

func TestDataOfNamesWhatIsKept(t *testing.T) {
	outs := map[string]provision.Output{
		"bucketName":     {Value: "taxi-dev-artifacts-123"},
		"repositoryUrls": {Value: map[string]any{"serve": "1.dkr.ecr.x.amazonaws.com/serve", "jobs": "1.dkr.ecr.x.amazonaws.com/jobs"}},
	}
	got := strings.Join(dataOf(outs), " ")
	want := "1.dkr.ecr.x.amazonaws.com/jobs 1.dkr.ecr.x.amazonaws.com/serve s3://taxi-dev-artifacts-123"
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
		{Type: "aws:iam/role:Role", URN: "u5"},
	}}
	if got := strings.Join(dataURNs(plan), ","); got != "u1,u2,u3" {
		t.Errorf("dataURNs = %s", got)
	}
	var rest []string
	for _, c := range withoutData(plan).Changes {
		rest = append(rest, c.URN)
	}
	if got := strings.Join(rest, ","); got != "u4,u5" {
		t.Errorf("withoutData = %s", got)
	}
}
