package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/provision"
)

const teamCompose = `services:
  web:
    image: python:3.11-slim
    init: true
    command: ["python", "-m", "http.server", "8000"]
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)"]
      interval: 1s
      retries: 30
`

// motoBucket creates a bucket on moto's S3 and returns the Pulumi backend
// URL that keeps state in it.
func motoBucket(t *testing.T, endpoint, bucket string) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("s3://%s?endpoint=%s&s3ForcePathStyle=true&region=us-east-1", bucket, endpoint)
}

// machine is one teammate's (or one CI runner's) mlforge: its own home
// directories, the project checkout and the team's passphrase.
func machine(t *testing.T, dir, endpoint string, program standIn) (*Factory, string) {
	t.Helper()
	home, pulumiHome := t.TempDir(), t.TempDir()
	f, _, _ := testFactory(dir)
	f.Deploy.Getenv = func(k string) string {
		switch k {
		case "MLFORGE_HOME":
			return home
		case "PULUMI_HOME":
			return pulumiHome
		case "MLFORGE_PASSPHRASE":
			return "the-team-passphrase"
		}
		return os.Getenv(k)
	}
	f.Deploy.AWS = func(ctx context.Context, region string) (*awsapi.Client, error) {
		return awsapi.New(ctx, awsapi.Options{Region: region, Endpoint: endpoint})
	}
	f.Deploy.Program = program.program
	return f, home
}

// TestTwoMachinesShareAnEnvironment: two fresh home directories (two
// teammates, or two CI runners) against one s3:// backend served by moto's
// S3. The first up creates the environment; the second finds it (the keys
// and the pinned host key come from the state), changes nothing, and can
// status and ssh; a run holding the state's lock is named; destroy from
// the second removes everything.
func TestTwoMachinesShareAnEnvironment(t *testing.T) {
	testenv.RequireCompose(t)
	testenv.RequirePulumi(t)
	testenv.RequireImage(t, "python:3.11-slim")
	endpoint := testenv.Moto(t)
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	start := time.Now()
	ctx := context.Background()
	backend := motoBucket(t, endpoint, "mlft-team-state")
	dir := t.TempDir()
	files := map[string]string{
		"mlforge.yaml": fmt.Sprintf("project: awsteam\ntarget: aws\naws:\n  region: eu-west-1\n  sshCidrs: [203.0.113.7/32]\n  backend: %q\nservices:\n  web:\n    port: %d\n    portEnv: WEB_PORT\n",
			backend, testenv.FreePort(t)),
		"docker-compose.yml": teamCompose,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	host := sshtest.Start(t, sshtest.Trixie)
	hc, err := sshx.Dial(ctx, host.Options("root"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: hc}, bootstrap.Options{}, ui.NewPlainStatus(io.Discard)); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	hc.Close()
	program := standIn{instanceID: motoInstance(t, endpoint), port: host.Port}
	alice, aliceHome := machine(t, dir, endpoint, program)
	bob, bobHome := machine(t, dir, endpoint, program)
	noSecretsPrinted(t, "the-team-passphrase", provision.EnvDir(aliceHome, "awsteam", "dev"), ecrToken(t, endpoint))

	// Alice's first up: the instance comes up with her first-boot keys.
	keys, err := provision.EnvKeys(provision.EnvDir(aliceHome, "awsteam", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	host.AuthorizeIdentity(t, keys.KeyFile)
	host.Exec(t, `printf '#!/bin/sh\necho "status: done"\n' > /usr/local/bin/cloud-init && chmod +x /usr/local/bin/cloud-init`)
	installHostKey(t, host, keys.Host.PrivatePEM)
	if r := runWith(t, alice, "up", "--yes"); r.code != 0 {
		t.Fatalf("alice's up: exit %d\n%s", r.code, r.errOut)
	} else if !strings.Contains(r.errOut, "✓ record the host key in the state") {
		t.Errorf("the rotated host key was not recorded in the state:\n%s", r.errOut)
	}

	// Bob, from nothing but the checkout, the backend and the passphrase.
	b := runWith(t, bob, "up", "--yes", "--json")
	var o struct {
		Built, Shipped []string
		Synced         bool
		Endpoints      []struct{ Healthy bool }
	}
	if err := json.Unmarshal([]byte(b.out), &o); b.code != 0 || err != nil {
		t.Fatalf("bob's up: exit %d, %v\n%s", b.code, err, b.errOut)
	}
	if len(o.Built)+len(o.Shipped) != 0 || o.Synced || len(o.Endpoints) != 1 || !o.Endpoints[0].Healthy {
		t.Errorf("bob's up: %+v, want a no-op on the same healthy stack", o)
	}
	if !strings.Contains(b.errOut, " - start services (all running, nothing changed since the last up)") {
		t.Errorf("bob's up ran compose up again on the stack alice started:\n%s", b.errOut)
	}
	if strings.Contains(b.errOut, "created ") || strings.Contains(b.errOut, "• replace the first-boot host key\n   ") {
		t.Errorf("bob's up changed the environment:\n%s", b.errOut)
	}
	for _, f := range []string{"id_ed25519", "ssh_host_ed25519_key.pub"} {
		mine, _ := os.ReadFile(filepath.Join(provision.EnvDir(aliceHome, "awsteam", "dev"), f))
		his, _ := os.ReadFile(filepath.Join(provision.EnvDir(bobHome, "awsteam", "dev"), f))
		if len(mine) == 0 || string(mine) != string(his) {
			t.Errorf("%s differs between the machines", f)
		}
	}
	if r := runWith(t, bob, "status"); r.code != 0 || !strings.Contains(r.out, "web") {
		t.Errorf("bob's status: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if r := runWith(t, bob, "ssh", "--", "echo", "hello-from-bob"); r.code != 0 || !strings.Contains(r.out, "hello-from-bob") {
		t.Errorf("bob's ssh: exit %d\n%s%s", r.code, r.out, r.errOut)
	}

	// A run that holds the state's lock is named, not waited for blindly.
	lock := holdLock(t, endpoint, "mlft-team-state", "awsteam", "dev")
	if r := runWith(t, bob, "up", "--yes"); r.code == 0 || !strings.Contains(r.errOut, "created by alice@laptop (pid 4242)") || !strings.Contains(r.errOut, "pulumi cancel") {
		t.Errorf("up while alice's run holds the lock: exit %d\n%s", r.code, r.errOut)
	}
	lock()

	if r := runWith(t, bob, "destroy", "--yes"); r.code != 0 || !strings.Contains(r.out, "awsteam/dev destroyed") {
		t.Fatalf("bob's destroy: exit %d\n%s", r.code, r.errOut)
	}
	if r := runWith(t, alice, "outputs", "--json"); r.code != 0 || strings.TrimSpace(r.out) != "{}" {
		t.Errorf("alice sees after bob's destroy: exit %d %s", r.code, r.out)
	}
	t.Logf("two machines, one environment: %s", time.Since(start).Round(time.Second))
}

// holdLock puts a lock of another run (alice's, on her laptop) into the
// backend, where the pulumi engine looks for one, and returns its release.
func holdLock(t *testing.T, endpoint, bucket, project, env string) func() {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	key := fmt.Sprintf(".pulumi/locks/organization/%s/%s/0e5c2c1e-alice.json", project, env)
	body := `{"pid":4242,"username":"alice","hostname":"laptop","timestamp":"2026-12-01T09:00:00Z"}`
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}
}
