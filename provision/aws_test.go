package provision

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/config"
)

const testCompose = `services:
  mlflow:
    image: ghcr.io/mlflow/mlflow:v2.17.0
  train:
    build: ./train
    image: taxi/jobs:latest
  batch:
    build: {context: ./train}
    image: taxi/jobs:latest
  serve:
    build: ./serve
`

func testResolved(t *testing.T, yaml string) (*config.Resolved, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(testCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("mlforge.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Resolve("dev")
	if err != nil {
		t.Fatal(err)
	}
	return r, dir
}

func TestBuiltImages(t *testing.T) {
	_, dir := testResolved(t, "project: taxi\n")
	got, err := BuiltImages(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"jobs", "serve"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BuiltImages = %v, want %v", got, want)
	}
}

func TestPrepareAWS(t *testing.T) {
	r, dir := testResolved(t, "project: taxi\ntarget: aws\naws:\n  instanceType: g5.xlarge\n  spot: true\n")
	keyDir := filepath.Join(t.TempDir(), "taxi", "dev")
	in := AWSInputs{Cfg: r, ProjectDir: dir, KeyDir: keyDir,
		CallerCIDR: func(context.Context) (string, error) { return "203.0.113.9/32", nil }}
	s, err := PrepareAWS(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Stack
	if sc.InstanceType != "g5.xlarge" || !sc.Spot || !reflect.DeepEqual(sc.SSHCidrs, []string{"203.0.113.9/32"}) || !reflect.DeepEqual(sc.Images, []string{"jobs", "serve"}) {
		t.Errorf("stack config: %+v", sc)
	}
	raw, err := sc.ManagerUserData([]string{"/dev/xvdf"})
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > bootstrap.UserDataMax {
		t.Errorf("user data is %d bytes, over EC2's %d", len(raw), bootstrap.UserDataMax)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("user data is not gzip-compressed: %v", err)
	}
	doc, _ := io.ReadAll(zr)
	for _, want := range []string{"#cloud-config", "ssh_keys:", s.Keys.Host.Public, s.Keys.PublicKey, "/var/lib/mlforge/install.sh",
		"--data-device", "/dev/xvdf", idle.ScriptPath, "IDLE_TIMEOUT="} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("user data lacks %q", want)
		}
	}
	for _, f := range []string{"id_ed25519", "ssh_host_ed25519_key"} {
		st, err := os.Stat(filepath.Join(keyDir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, st, err)
		}
	}
	// A second run reuses the keys: the pinned host key stays the same.
	again, err := PrepareAWS(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Stack.HostKeyFingerprint != sc.HostKeyFingerprint || again.Keys.PublicKey != s.Keys.PublicKey {
		t.Error("keys regenerated on the second run")
	}
	// The host is reached with this machine's keys, pinned.
	out := map[string]Output{"instanceId": {Value: "i-1"}, "sshUser": {Value: "ubuntu"}, "publicIp": {Value: "198.51.100.7"},
		"hostKeyFingerprint": {Value: "SHA256:older"}}
	h, err := InstanceFromOutputs(out, again.Keys)
	if err != nil || h.Address != "198.51.100.7" || h.HostKey != s.Keys.Host.Public || h.KeyFile != filepath.Join(keyDir, "id_ed25519") ||
		h.HostKeyFingerprint != sc.HostKeyFingerprint || h.Port != 22 {
		t.Fatalf("host: %+v %v", h, err)
	}
	out[OutSSHPort] = Output{Value: float64(2222)} // numbers arrive as JSON's
	if h, err := InstanceFromOutputs(out, again.Keys); err != nil || h.Port != 2222 {
		t.Errorf("with an sshPort output: %+v %v", h, err)
	}
	if _, err := InstanceFromOutputs(map[string]Output{}, again.Keys); err == nil || !strings.Contains(err.Error(), "instance id") {
		t.Errorf("empty outputs: %v", err)
	}

	// World-readable keys are refused, naming the fix.
	if err := os.Chmod(filepath.Join(keyDir, "id_ed25519"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareAWS(context.Background(), in); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v", err)
	}
}

func TestPrepareAWSWithoutAddress(t *testing.T) {
	r, dir := testResolved(t, "project: taxi\ntarget: aws\n")
	_, err := PrepareAWS(context.Background(), AWSInputs{Cfg: r, ProjectDir: dir, KeyDir: t.TempDir(),
		CallerCIDR: func(context.Context) (string, error) { return "", os.ErrDeadlineExceeded }})
	if err == nil || !strings.Contains(err.Error(), "aws.sshCidrs") {
		t.Errorf("want an aws.sshCidrs error, got %v", err)
	}
}

func TestPrepareAWSWorkersKeepTheirHostKeys(t *testing.T) {
	r, dir := testResolved(t, "project: taxi\ntarget: aws\naws:\n  workers: 2\n  idleStop: \"off\"\n")
	in := AWSInputs{Cfg: r, ProjectDir: dir, KeyDir: filepath.Join(t.TempDir(), "taxi", "dev"),
		CallerCIDR: func(context.Context) (string, error) { return "203.0.113.9/32", nil }}
	first, err := PrepareAWS(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := PrepareAWS(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	w := first.Stack.Workers
	if len(w) != 2 || w[0].HostKey == w[1].HostKey || w[0].HostKey == first.Keys.Host.Public {
		t.Fatalf("workers: %+v; want two with host keys of their own", w)
	}
	for i := range w {
		if again.Stack.Workers[i].HostKeyFingerprint != w[i].HostKeyFingerprint {
			t.Errorf("worker %d's pinned host key changed between runs", i+1)
		}
		if len(w[i].UserData) > bootstrap.UserDataMax {
			t.Errorf("worker %d's user data is %d bytes", i+1, len(w[i].UserData))
		}
	}
}
