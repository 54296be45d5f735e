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
func connectHost(t testing.TB) *sshx.Client {
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
			Repos: map[string]string{name: reg + "/" + name}, Images: []Image{{Ref: ref, Repository: name}}}
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
	other := tinyImage(t, name+"-other")
	bad := &RegistryShip{Local: local.Client(), Remote: host.Client(), Login: login, Repos: map[string]string{},
		Images: []Image{{Ref: other, Repository: "other"}}}
	if err := bad.Run(ctx, quiet{}); err == nil || !strings.Contains(err.Error(), `no repository "other"`) {
		t.Errorf("an image without a repository: %v", err)
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

// versionedImage builds ref from a fixed base layer and an app layer
// holding version, so two versions share their first layer.
func versionedImage(t *testing.T, dir, ref, version string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "base")); err != nil {
		os.WriteFile(filepath.Join(dir, "base"), []byte(strings.Repeat("base layer\n", 1000)), 0o644)
		os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY base /base\nCOPY app /app\n"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "app"), []byte(version+"\n"), 0o644)
	if out, err := exec.Command("docker", "build", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
	id, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", ref).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(id))
}

// strictShip ships images to a host through a strict registry (as strict
// as ECR with immutable tags), logging in without AWS.
type strictShip struct {
	t     *testing.T
	reg   *testenv.RegistryServer
	local *stack.MobyEngine
	repos map[string]string
}

func newStrictShip(t *testing.T) *strictShip {
	local, err := stack.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	return &strictShip{t: t, reg: testenv.StrictRegistry(t), local: local, repos: map[string]string{}}
}

func (s *strictShip) run(ctx context.Context, host *sshx.Client, images ...Image) (*RegistryShip, error) {
	s.t.Helper()
	remote, err := Engine(host)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, img := range images {
		s.repos[img.Repository] = s.reg.Addr + "/" + img.Repository
	}
	ship := &RegistryShip{Local: s.local.Client(), Remote: remote.Client(), Repos: s.repos, Images: images,
		Login: func(context.Context) (Credentials, error) { return Credentials{Server: s.reg.Addr}, nil }}
	return ship, ship.Run(ctx, quiet{})
}

// hostImageID is the ID the host has for ref, "" when it has none.
func hostImageID(t *testing.T, c *sshx.Client, ref string) string {
	t.Helper()
	e, err := Engine(c)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := e.ImageID(context.Background(), ref)
	return id
}

// A pull that fails after the push (the host cannot reach the registry)
// is retried by the next deploy, which finds the image in the registry
// and only pulls it: pushing it again under the same tag is what an
// immutable repository refuses, and the old deploy did. A new version
// goes under a new tag, and only the layers the repository lacks travel.
func TestRegistryRedeployAfterFailedPull(t *testing.T) {
	testenv.RequireDocker(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := newStrictShip(t)
	c := connectHost(t)
	name := testenv.Name(t)
	dir := t.TempDir()
	app := Image{Ref: name + "-app:latest", Repository: name + "-app"}
	jobs := Image{Ref: tinyImage(t, name+"-jobs"), Repository: name + "-jobs"}
	v1 := versionedImage(t, dir, app.Ref, "v1")

	// No route from the host to the registry yet: the pushes succeed, the pulls fail.
	if _, err := s.run(ctx, c, app, jobs); err == nil || !strings.Contains(err.Error(), "pulling") {
		t.Fatalf("first deploy: want a failed pull, got %v", err)
	}
	if st := s.reg.Stats(); st.ManifestPuts != 2 {
		t.Fatalf("first deploy stored %d manifests, want 2", st.ManifestPuts)
	}
	sshtest.ReverseForward(t, c, s.reg.Addr)
	ship, err := s.run(ctx, c, app, jobs)
	if err != nil {
		t.Fatalf("redeploy after the failed pull: %v", err)
	}
	if len(ship.Pushed) != 0 || len(ship.Pulled) != 2 {
		t.Errorf("redeploy pushed %v, pulled %v: want both pulled from the registry, nothing pushed", ship.Pushed, ship.Pulled)
	}
	if got := hostImageID(t, c, app.Ref); got != v1 {
		t.Errorf("the host has %s as %q, want %q", app.Ref, got, v1)
	}
	if st := s.reg.Stats(); st.ManifestPuts != 2 || st.ManifestRefused != 0 {
		t.Errorf("registry after the redeploy: %+v; want no second push and nothing refused", st)
	}
	// What the deploy used to do: push the same image to the same tag again.
	again := s.reg.Addr + "/" + app.Repository + ":" + ContentTag(v1)
	exec.Command("docker", "tag", app.Ref, again).Run()
	out, err := exec.Command("docker", "push", again).CombinedOutput()
	exec.Command("docker", "rmi", again).Run()
	if err == nil || !strings.Contains(string(out), "cannot be overwritten because the repository is immutable") {
		t.Errorf("pushing the same tag again: err %v, output %s; the stand-in must refuse it as ECR does", err, out)
	}

	blobs := s.reg.Stats().BlobUploads
	v2 := versionedImage(t, dir, app.Ref, "v2")
	ship, err = s.run(ctx, c, app, jobs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ship.Pushed, ",") != app.Ref || strings.Join(ship.Skipped, ",") != jobs.Ref {
		t.Errorf("new version: pushed %v, skipped %v", ship.Pushed, ship.Skipped)
	}
	if got := hostImageID(t, c, app.Ref); got != v2 {
		t.Errorf("the host has %s as %q, want v2 %q", app.Ref, got, v2)
	}
	// The new app layer and the image config; the base layer is there.
	if n := s.reg.Stats().BlobUploads - blobs; n != 2 {
		t.Errorf("pushing v2 uploaded %d blobs, want 2 (the base layer is in the repository already)", n)
	}
}

// A deploy to a replaced host (a new, empty engine) pulls everything the
// registry has, several images at once, and pushes nothing.
func TestRegistryDeployToReplacedHost(t *testing.T) {
	testenv.RequireDocker(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := newStrictShip(t)
	name := testenv.Name(t)
	var images []Image
	for _, n := range []string{"a", "b", "c", "d"} {
		images = append(images, Image{Ref: tinyImage(t, name+"-"+n), Repository: name + "-" + n})
	}
	old := connectHost(t)
	sshtest.ReverseForward(t, old, s.reg.Addr)
	if ship, err := s.run(ctx, old, images...); err != nil || len(ship.Pushed) != 4 {
		t.Fatalf("first host: pushed %v, err %v", ship.Pushed, err)
	}
	replaced := connectHost(t)
	sshtest.ReverseForward(t, replaced, s.reg.Addr)
	ship, err := s.run(ctx, replaced, images...)
	if err != nil {
		t.Fatalf("replaced host: %v", err)
	}
	if len(ship.Pushed) != 0 || len(ship.Pulled) != 4 {
		t.Errorf("replaced host: pushed %v, pulled %v; want all pulled, none pushed", ship.Pushed, ship.Pulled)
	}
	for _, img := range images {
		if want, _ := s.local.ImageID(ctx, img.Ref); hostImageID(t, replaced, img.Ref) != want {
			t.Errorf("the replaced host lacks %s", img.Ref)
		}
	}
	if st := s.reg.Stats(); st.ManifestPuts != 4 || st.ManifestRefused != 0 {
		t.Errorf("registry: %+v; want 4 manifests, none refused", st)
	}
}
