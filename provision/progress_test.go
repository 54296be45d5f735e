package provision

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func meta(op apitype.OpType, typ, name string) apitype.StepEventMetadata {
	return apitype.StepEventMetadata{Op: op, Type: typ, URN: "urn:pulumi:dev::taxi::" + typ + "::" + name}
}

// TestEventsToProgress feeds a recorded-shape event stream (an up that
// creates a bucket, fails an instance and leaves the stack unchanged)
// through the translator into the progress list.
func TestEventsToProgress(t *testing.T) {
	bucket := meta(apitype.OpCreate, "aws:s3/bucketV2:BucketV2", "taxi-dev-artifacts")
	inst := meta(apitype.OpCreate, "aws:ec2/instance:Instance", "taxi-dev-host")
	stack := meta(apitype.OpSame, "pulumi:pulumi:Stack", "taxi-dev")
	provider := meta(apitype.OpCreate, "pulumi:providers:aws", "default_6_83_4")
	evs := []apitype.EngineEvent{
		{PreludeEvent: &apitype.PreludeEvent{}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: stack}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: provider}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: bucket}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: inst}},
		{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: bucket}},
		{DiagnosticEvent: &apitype.DiagnosticEvent{URN: inst.URN, Severity: "error", Message: "<{%fg 1%}>creating EC2 Instance: InsufficientInstanceCapacity: no g5.xlarge in us-east-1a<{%reset%}>\n"}},
		{ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: inst}},
		{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "warning", Message: "aws:region is deprecated here\n"}},
		{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "info", Message: "noise\n"}},
		{SummaryEvent: &apitype.SummaryEvent{}},
	}
	var buf bytes.Buffer
	p := NewProgressList(&buf, false)
	clock := time.Unix(0, 0)
	p.SetClock(func() time.Time { clock = clock.Add(1500 * time.Millisecond); return clock })
	ch := make(chan events.EngineEvent)
	go func() {
		for _, ev := range evs {
			ch <- events.EngineEvent{EngineEvent: ev}
		}
		close(ch)
	}()
	translate(ch, make(chan struct{}), p)
	buf.WriteString("summary: " + p.Summary() + "\n")
	golden(t, "progress.golden", buf.Bytes())
}

func TestShortType(t *testing.T) {
	for in, want := range map[string]string{
		"aws:s3/bucketV2:BucketV2":  "s3:BucketV2",
		"aws:ec2/instance:Instance": "ec2:Instance",
		"mlforge:test:Host":         "test:Host",
		"odd":                       "odd",
	} {
		if got := ShortType(in); got != want {
			t.Errorf("ShortType(%q) = %q, want %q", in, got, want)
		}
	}
}
