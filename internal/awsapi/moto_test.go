package awsapi

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/mlforge/mlforge/internal/testenv"
)

// motoServer starts moto on a 127.0.0.1 port for this test.
func motoServer(t *testing.T) string { return testenv.Moto(t) }

func motoClient(t *testing.T) *Client {
	t.Helper()
	endpoint := motoServer(t)
	c, err := New(context.Background(), Options{Region: "eu-west-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallerIdentityAgainstMoto(t *testing.T) {
	c := motoClient(t)
	id, err := c.CallerIdentity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Account) != 12 || !strings.HasPrefix(id.ARN, "arn:aws:") {
		t.Errorf("identity: %+v", id)
	}
}

func TestWaitRunningAndConsoleAgainstMoto(t *testing.T) {
	c := motoClient(t)
	ctx := context.Background()
	imgs, err := c.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("moto images: %v", err)
	}
	run, err := c.ec2.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: imgs.Images[0].ImageId, InstanceType: types.InstanceTypeT3Large,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := c.WaitRunning(wctx, id, 100*time.Millisecond)
	if err != nil || st.State != "running" {
		t.Fatalf("wait running: %+v %v", st, err)
	}
	tail, err := c.ConsoleTail(ctx, id, 3)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(tail, "\n")); n == 0 || n > 3 {
		t.Errorf("console tail: %d lines, want 1-3:\n%s", n, tail)
	}

	if _, err := c.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitRunning(ctx, id, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "terminated") && !strings.Contains(err.Error(), "shutting-down") {
		t.Errorf("terminated instance: want a diagnosis, got %v", err)
	}
	if _, err := c.Instance(ctx, "i-0000000000000dead"); err == nil {
		t.Error("unknown instance: want an error")
	}
}

func TestRegistryLoginAgainstMoto(t *testing.T) {
	c := motoClient(t)
	auth, err := c.RegistryLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if auth.Username != "AWS" || auth.Password == "" || !strings.Contains(auth.Host(), ".dkr.ecr.eu-west-1.amazonaws.com") {
		t.Errorf("registry auth: user %q host %q (password set: %v)", auth.Username, auth.Host(), auth.Password != "")
	}
}

type fixedIP string

func (f fixedIP) PublicIP(context.Context) (net.IP, error) { return net.ParseIP(string(f)), nil }

func TestCallerCIDR(t *testing.T) {
	for ip, want := range map[string]string{"203.0.113.7": "203.0.113.7/32", "10.0.0.1": "", "127.0.0.1": ""} {
		got, err := CallerCIDR(context.Background(), fixedIP(ip))
		if got != want || (want == "") != (err != nil) {
			t.Errorf("CallerCIDR(%s) = %q, %v; want %q", ip, got, err, want)
		}
	}
}

func TestHTTPIPSource(t *testing.T) {
	srv := newTextServer(t, map[string]string{"/ok": "198.51.100.4\n", "/bad": "<html>"})
	ip, err := HTTPIPSource{URL: srv + "/ok"}.PublicIP(context.Background())
	if err != nil || ip.String() != "198.51.100.4" {
		t.Errorf("ok: %v %v", ip, err)
	}
	if _, err := (HTTPIPSource{URL: srv + "/bad"}).PublicIP(context.Background()); err == nil || !strings.Contains(err.Error(), "not an IPv4") {
		t.Errorf("bad answer: %v", err)
	}
	if _, err := (HTTPIPSource{URL: srv + "/missing"}).PublicIP(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("404: %v", err)
	}
}
