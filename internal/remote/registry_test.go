package remote

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/testenv"
)

type quiet struct{}

func (quiet) Start(string)   {}
func (quiet) Update(string)  {}
func (quiet) End(error)      {}
func (quiet) Skip(string)    {}
func (quiet) Println(string) {}

// connectHost starts a fresh test host, bootstraps Docker on it and
// returns a connection.
func connectHost(t *testing.T) *sshx.Client {
	t.Helper()
	host := sshtest.Start(t, sshtest.Trixie)
	ctx := context.Background()
	o := sshx.Options{User: "root", Addr: host.Addr, Port: host.Port, IdentityFile: host.Identity, KnownHostsFile: host.KnownHosts}
	c, err := sshx.Dial(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: c}, bootstrap.Options{}, quiet{}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	return c
}

// tinyImage builds a one-file image here and returns its reference.
func tinyImage(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello"), []byte(name+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello /hello\n"), 0o644)
	ref := name + ":latest"
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
	return ref
}

// The ECR path: an authorization token from the ECR API (moto), a push to
// a registry standing in for ECR, a pull on the host with the token handed
// over with the request, and nothing shipped when the host is current.
func TestRegistryShipThroughStandInECR(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	endpoint := testenv.Moto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	aws, err := awsapi.New(ctx, awsapi.Options{Region: "eu-west-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	c := connectHost(t)
	sshtest.ReverseForward(t, c, reg)

	name := testenv.Name(t)
	ref := tinyImage(t, name)
	local, err := stack.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	host, err := Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	logins := 0
	login := func(ctx context.Context) (Credentials, error) {
		logins++
		a, err := aws.RegistryLogin(ctx)
		if err != nil {
			return Credentials{}, err
		}
		if a.Username != "AWS" || a.Password == "" { // moto answers a fixed, past expiry
			t.Errorf("ECR login from moto: %+v", a)
		}
		return Credentials{Server: reg, Username: a.Username, Password: a.Password}, nil
	}
	ship := func() *RegistryShip {
		s := &RegistryShip{Local: local.Client(), Remote: host.Client(), Login: login,
			Repos: map[string]string{name: reg + "/" + name}, Refs: []string{ref}}
		if err := s.Run(ctx, quiet{}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := ship()
	if len(first.Pushed) != 1 || logins != 1 {
		t.Fatalf("first run pushed %v with %d logins", first.Pushed, logins)
	}
	want, _ := local.ImageID(ctx, ref)
	if got, _ := host.ImageID(ctx, ref); got != want || got == "" {
		t.Errorf("the host has %s as %q, want %q", ref, got, want)
	}
	for side, eng := range map[string]*stack.MobyEngine{"here": local, "on the host": host} {
		if tags := registryTags(t, eng, reg); len(tags) != 0 {
			t.Errorf("registry tags left %s after the push: %v", side, tags)
		}
	}
	second := ship()
	if len(second.Pushed) != 0 || len(second.Skipped) != 1 || logins != 1 {
		t.Errorf("second run pushed %v, skipped %v, %d logins: want nothing shipped and no login", second.Pushed, second.Skipped, logins)
	}
	bad := &RegistryShip{Local: local.Client(), Remote: host.Client(), Login: login, Repos: map[string]string{}, Refs: []string{tinyImage(t, name+"-other")}}
	if err := bad.Run(ctx, quiet{}); err == nil {
		t.Error("an image without a repository was shipped")
	}
}

// registryTags lists an engine's image tags in the registry at reg.
func registryTags(t *testing.T, e *stack.MobyEngine, reg string) []string {
	t.Helper()
	list, err := e.Client().ImageList(context.Background(), client.ImageListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, img := range list.Items {
		for _, tag := range img.RepoTags {
			if strings.HasPrefix(tag, reg+"/") {
				out = append(out, tag)
			}
		}
	}
	return out
}
