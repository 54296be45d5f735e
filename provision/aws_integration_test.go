package provision

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
)

// TestRealAWS creates a whole environment in a real AWS account, waits for
// its host (Docker ready through cloud-init, host key pinned) and destroys
// it with its data. It runs only when AWS credentials are present.
func TestRealAWS(t *testing.T) {
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		t.Skip("skipped: no AWS credentials (set AWS_ACCESS_KEY_ID or AWS_PROFILE, and AWS_REGION, to run the real-AWS integration test)")
	}
	testenv.RequirePulumi(t)
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	r, dir := testResolved(t, "project: mlft\ntarget: aws\naws:\n  region: "+region+"\n  instanceType: t3.small\n  volumeSize: 20\n")
	home := t.TempDir()
	client, err := awsapi.New(ctx, awsapi.Options{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	setup, err := PrepareAWS(ctx, AWSInputs{Cfg: r, ProjectDir: dir, KeyDir: EnvDir(home, r.Project, r.Env), DeleteData: true,
		CallerCIDR: func(ctx context.Context) (string, error) { return awsapi.CallerCIDR(ctx, awsapi.HTTPIPSource{}) }})
	if err != nil {
		t.Fatal(err)
	}
	userHome, _ := os.UserHomeDir()
	o := Options{Project: r.Project, Env: r.Env, Home: home, Program: setup.Program(),
		Config: map[string]string{"aws:region": setup.Region}, Pulumi: PulumiCLI{Home: home, UserHome: userHome}}
	e, err := Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	progress := NewProgressList(os.Stderr, false)
	t.Cleanup(func() {
		if err := e.Destroy(context.Background(), progress); err != nil {
			t.Errorf("destroy (check the account for leftovers tagged mlforge:project=mlft): %v", err)
		}
	})
	out, err := e.Up(ctx, progress)
	if err != nil {
		t.Fatal(err)
	}
	host, err := InstanceFromOutputs(out, setup.Keys)
	if err != nil {
		t.Fatal(err)
	}
	wait := &HostWait{Instance: host, Instances: client, Timeouts: DefaultTimeouts, KeyDir: EnvDir(home, r.Project, r.Env)}
	if err := pipeline.Run(ctx, ui.NewPlainStatus(os.Stderr), wait.Steps()); err != nil {
		t.Fatal(err)
	}
	if plan, err := e.Preview(ctx, nil); err != nil || plan.HasChanges() {
		t.Errorf("preview after up: %+v %v", plan, err)
	}
}
