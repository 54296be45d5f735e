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

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

const awsDeployCompose = `services:
  web:
    build: .
    image: awsdeploy-web:latest
    init: true
    environment:
      ARTIFACTS: ${MLFLOW_ARTIFACTS_DESTINATION:-on the volume}
    ports: ["127.0.0.1:${WEB_PORT}:8000"]
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=3)"]
      interval: 1s
      retries: 30
`

// TestUpTargetAWSGlue runs `mlforge up --target aws` for real everywhere
// but AWS itself: the real pulumi engine (file backend, passphrase
// secrets) runs a stand-in program exporting what the AWS program exports,
// pointing at an sshd test host that plays the instance (with the
// environment's first-boot host key and login key, as cloud-init would
// install them); moto answers the EC2 and ECR calls; a local registry
// stands in for ECR. It checks the glue: the staged wait (with the host key
// rotation), images pushed and pulled through the registry, the S3 settings
// on the host, and a second up that changes nothing.
func TestUpTargetAWSGlue(t *testing.T) {
	g := startGlue(t)
	f, host, keys, keyDir, instanceID, reg := g.f, g.host, g.keys, g.keyDir, g.instanceID, g.registry
	noSecretsPrinted(t, "glue-test", keyDir, ecrToken(t, g.endpoint))

	type upOut struct {
		Built, Shipped []string
		Synced         bool
		Endpoints      []struct{ Healthy bool }
	}
	up := func() upOut {
		t.Helper()
		r := runWith(t, f, "up", "--yes", "--json")
		if r.code != 0 {
			t.Fatalf("up --target aws: exit %d\n%s", r.code, r.errOut)
		}
		var o upOut
		if err := json.Unmarshal([]byte(r.out), &o); err != nil {
			t.Fatalf("%v: %s", err, r.out)
		}
		t.Logf("up:\n%s", r.errOut)
		return o
	}
	o := up()
	if strings.Join(o.Shipped, ",") != "awsdeploy-web:latest" || len(o.Endpoints) != 1 || !o.Endpoints[0].Healthy {
		t.Errorf("first up: %+v, want web shipped through the registry and healthy", o)
	}
	if rotated, _ := os.ReadFile(filepath.Join(keyDir, "host_key_rotated")); strings.TrimSpace(string(rotated)) != instanceID {
		t.Errorf("the first-boot host key was not rotated (marker %q)", rotated)
	}
	if got := strings.Fields(host.Exec(t, "cat /etc/ssh/ssh_host_ed25519_key.pub"))[1]; strings.Contains(keys.Host.Public, got) {
		t.Error("the host still presents its first-boot key")
	}
	env := host.Exec(t, "cat /root/mlforge/awsdeploy/.mlforge/deploy.env && stat -c %a /root/mlforge/awsdeploy/.mlforge/deploy.env")
	for _, want := range []string{"MLFLOW_ARTIFACTS_DESTINATION='s3://awsdeploy-dev-artifacts-0123/mlflow'", "AWS_DEFAULT_REGION='eu-west-1'", "600"} {
		if !strings.Contains(env, want) {
			t.Errorf("deploy.env on the host lacks %q:\n%s", want, env)
		}
	}
	running := host.Exec(t, "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' awsdeploy-web-1")
	if !strings.Contains(running, "ARTIFACTS=s3://awsdeploy-dev-artifacts-0123/mlflow\n") {
		t.Errorf("the service does not see the S3 destination:\n%s", running)
	}
	if tags := host.Exec(t, "docker images --format '{{.Repository}}:{{.Tag}}'"); strings.Contains(tags, reg) {
		t.Errorf("registry tags left on the host:\n%s", tags)
	}

	again := up()
	if len(again.Shipped) != 0 || again.Synced || len(again.Built) != 0 {
		t.Errorf("second up: %+v, want nothing built, shipped or synced", again)
	}
	if r := runWith(t, f, "status"); r.code != 0 || !strings.Contains(r.out, "web") || !strings.Contains(r.out, "running for") ||
		!strings.Contains(r.out, "Idle stop: in") || !strings.Contains(r.out, "this month so far") {
		t.Errorf("status --target aws: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	stoppedAndResumed(t, f, instanceID)
	if r := runWith(t, f, "down"); r.code != 0 {
		t.Errorf("down --target aws: exit %d\n%s", r.code, r.errOut)
	}
}

// glue is the aws target's test setup: moto, a registry standing in for
// ECR, an sshd test host playing the instance, and a factory whose
// program is the stand-in.
type glue struct {
	f          *Factory
	host       *sshtest.Host
	keys       *provision.Keys
	keyDir     string
	instanceID string
	endpoint   string
	registry   string
}

// startGlue prepares a one-service project (awsdeploy) for `up --target
// aws`: the real pulumi engine (file backend, passphrase secrets) runs a
// stand-in program exporting what the AWS program exports, pointing at a
// test host with Docker, the environment's first-boot host key and login
// key (as cloud-init would install them) and a finished cloud-init.
func startGlue(t testing.TB) *glue {
	t.Helper()
	testenv.RequireCompose(t)
	testenv.RequirePulumi(t)
	testenv.RequireImage(t, "python:3.11-slim")
	endpoint := testenv.Moto(t)
	reg := testenv.Registry(t)
	ctx := context.Background()
	home := t.TempDir()
	t.Setenv("MLFORGE_HOME", home)
	t.Setenv("MLFORGE_PASSPHRASE", "glue-test")
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	t.Setenv("PULUMI_HOME", t.TempDir())

	dir := t.TempDir()
	files := map[string]string{
		"mlforge.yaml":       "project: awsdeploy\ntarget: aws\naws:\n  region: eu-west-1\n  sshCidrs: [203.0.113.7/32]\nservices:\n  web:\n    port: " + fmt.Sprint(testenv.FreePort(t)) + "\n    portEnv: WEB_PORT\n",
		"docker-compose.yml": awsDeployCompose,
		"Dockerfile":         "FROM python:3.11-slim\nWORKDIR /srv\nCOPY index.html .\nCMD [\"python\", \"-m\", \"http.server\", \"8000\"]\n",
		"index.html":         "<p>glue</p>\n",
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
	keyDir := provision.EnvDir(home, "awsdeploy", "dev")
	keys, err := provision.EnvKeys(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	host.AuthorizeIdentity(t, keys.KeyFile)
	host.Exec(t, `printf '#!/bin/sh\necho "status: done"\n' > /usr/local/bin/cloud-init && chmod +x /usr/local/bin/cloud-init`)
	installHostKey(t, host, keys.Host.PrivatePEM)
	first := provision.Instance{Address: "127.0.0.1", Port: host.Port, User: "root", KeyFile: keys.KeyFile, HostKey: keys.Host.Public}
	// The host reaches the registry on its own loopback, through this
	// connection (it outlives the host key rotation).
	fwd, err := sshx.Dial(ctx, first.SSHOptions())
	if err != nil {
		t.Fatalf("the host does not present the first-boot key: %v", err)
	}
	t.Cleanup(func() { fwd.Close() })
	sshtest.ReverseForward(t, fwd, reg)

	instanceID := motoInstance(t, endpoint)
	f, _, _ := testFactory(dir)
	f.Deploy.AWS = func(ctx context.Context, region string) (*awsapi.Client, error) {
		return awsapi.New(ctx, awsapi.Options{Region: region, Endpoint: endpoint})
	}
	f.Deploy.Program = standIn{instanceID: instanceID, port: host.Port, repos: map[string]string{"awsdeploy-web": reg + "/awsdeploy-dev-web"}}.program
	return &glue{f: f, host: host, keys: keys, keyDir: keyDir, instanceID: instanceID, endpoint: endpoint, registry: reg}
}

// installHostKey makes the test host present key (what cloud-init does
// with the key mlforge generated for the instance).
func installHostKey(t testing.TB, h *sshtest.Host, privatePEM string) {
	t.Helper()
	script := "umask 077; cat > /etc/ssh/ssh_host_ed25519_key <<'EOF'\n" + strings.TrimSpace(privatePEM) + "\nEOF\n" +
		"ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub && kill -HUP 1"
	h.Exec(t, script)
}

// motoInstance starts an instance in moto and returns its id.
func motoInstance(t testing.TB, endpoint string) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(endpoint) })
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("moto images: %v", err)
	}
	out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: imgs.Images[0].ImageId, InstanceType: types.InstanceTypeT3Large,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// stoppedAndResumed drives the cost guard's commands through the real
// code against moto's EC2: stop, status and envs of a stopped environment,
// start, then stop again and an up that starts it before its no-op deploy.
func stoppedAndResumed(t *testing.T, f *Factory, instanceID string) {
	t.Helper()
	if r := runWith(t, f, "stop"); r.code != 0 || !strings.Contains(r.out, instanceID+" stopped") {
		t.Fatalf("stop: exit %d\n%s", r.code, r.errOut)
	}
	st := runWith(t, f, "status")
	if st.code != 1 || !strings.Contains(st.out, "stopped") || !strings.Contains(st.out, "`mlforge start`") {
		t.Errorf("status of a stopped environment: exit %d\n%s%s", st.code, st.out, st.errOut)
	}
	envs := runWith(t, f, "envs", "--json")
	var list []struct {
		Env, State      string
		StoppedPerMonth float64
	}
	if err := json.Unmarshal([]byte(envs.out), &list); err != nil || len(list) != 1 || list[0].Env != "dev" ||
		list[0].State != "stopped" || list[0].StoppedPerMonth <= 0 {
		t.Errorf("envs: %v %+v\n%s", err, list, envs.errOut)
	}
	start := runWith(t, f, "start", "--json")
	if start.code != 0 || !strings.Contains(start.errOut, "✓ start the instance") || !strings.Contains(start.errOut, "✓ check health") {
		t.Fatalf("start: exit %d\n%s", start.code, start.errOut)
	}
	if r := runWith(t, f, "stop"); r.code != 0 {
		t.Fatalf("second stop: exit %d", r.code)
	}
	up := runWith(t, f, "up", "--yes", "--json")
	if up.code != 0 || !strings.Contains(up.errOut, "✓ start the instance") {
		t.Fatalf("up on a stopped environment: exit %d\n%s", up.code, up.errOut)
	}
	var o struct {
		Built, Shipped []string
		Synced         bool
	}
	if err := json.Unmarshal([]byte(up.out), &o); err != nil || len(o.Built)+len(o.Shipped) != 0 || o.Synced {
		t.Errorf("up after a start: %+v %v, want nothing built, shipped or synced", o, err)
	}
}

// standIn is the environment's program in these tests: it creates nothing
// and exports what the AWS program exports, pointing at a test host that
// plays the instance (and, as the real program does, the keys as a secret).
type standIn struct {
	instanceID string
	port       int
	repos      map[string]string
	// dataVolume, when set, is the id of the data volume the program
	// exports; the host sees it as its second device path (/dev/xvdf).
	dataVolume string
}

func (st standIn) program(s *provision.AWSSetup) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		// A resource without a provider, so destroy has something to remove.
		var host struct{ pulumi.ResourceState }
		if err := ctx.RegisterComponentResource("mlforge:test:Host", "host", &host); err != nil {
			return err
		}
		ctx.Export(awsstack.OutInstanceID, pulumi.String(st.instanceID))
		ctx.Export(awsstack.OutPublicIP, pulumi.String("127.0.0.1"))
		ctx.Export(provision.OutSSHPort, pulumi.Int(st.port))
		ctx.Export(awsstack.OutSSHUser, pulumi.String("root"))
		ctx.Export(awsstack.OutHostKeyFingerprint, pulumi.String(s.Stack.HostKeyFingerprint))
		ctx.Export(awsstack.OutHostKey, pulumi.String(s.Stack.HostKey))
		ctx.Export(awsstack.OutBucket, pulumi.String(s.Stack.Project+"-"+s.Stack.Env+"-artifacts-0123"))
		ctx.Export(awsstack.OutRepositoryURLs, pulumi.ToStringMap(st.repos))
		if st.dataVolume != "" {
			ctx.Export(awsstack.OutDataVolumeID, pulumi.String(st.dataVolume))
		}
		if s.Stack.Keys != nil {
			ctx.Export(awsstack.OutKeys, s.Stack.Keys.Output())
		}
		return nil
	}
}

// ecrToken is the registry token moto hands out, which mlforge must pass
// to the host without ever printing it.
func ecrToken(t *testing.T, endpoint string) string {
	t.Helper()
	c, err := awsapi.New(context.Background(), awsapi.Options{Region: "eu-west-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.RegistryLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a.Password
}
