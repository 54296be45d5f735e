package remote

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/testenv"
)

const baseSize = 3 << 20 // random, so it does not compress

// sharedBaseImages builds here images that share a first layer of
// random bytes and differ in a small second one; it returns their refs.
func sharedBaseImages(t *testing.T, names ...string) []string {
	t.Helper()
	dir := t.TempDir()
	base := make([]byte, baseSize)
	rand.Read(base)
	os.WriteFile(filepath.Join(dir, "base.bin"), base, 0o644)
	var refs []string
	for _, name := range names {
		os.WriteFile(filepath.Join(dir, name), []byte(name+"\n"), 0o644)
		df := filepath.Join(dir, "Dockerfile."+name)
		os.WriteFile(df, []byte("FROM scratch\nCOPY base.bin /base.bin\nCOPY "+name+" /"+name+"\n"), 0o644)
		ref := testenv.Name(t) + "-" + name + ":latest"
		if out, err := exec.Command("docker", "build", "-q", "-f", df, "-t", ref, dir).CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v\n%s", err, out)
		}
		t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
		refs = append(refs, ref)
	}
	return refs
}

func engines(t testing.TB, c *sshx.Client) (local, host *stack.MobyEngine) {
	t.Helper()
	local, err := stack.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	if host, err = Engine(c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close(); host.Close() })
	return local, host
}

// sameOnHost fails the test unless the host has each ref as this machine does.
func sameOnHost(t *testing.T, local, host *stack.MobyEngine, refs ...string) {
	t.Helper()
	ctx := context.Background()
	for _, ref := range refs {
		want, _ := local.ImageID(ctx, ref)
		if got, _ := host.ImageID(ctx, ref); got != want || got == "" {
			t.Errorf("the host has %s as %q, want %q", ref, got, want)
		}
	}
}

// Two images sharing a base layer ship at once to an engine that reads
// zstd: the base travels once; a third image sharing it later sends only
// its own layer; nothing travels when the host is current.
func TestShipImagesSharedBaseAtOnce(t *testing.T) {
	testenv.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := connectHost(t)
	local, host := engines(t, c)
	refs := sharedBaseImages(t, "a", "b", "c")
	first := &ShipImages{Local: local.Client(), Remote: host.Client(), Host: c, Address: c.Address(), Refs: refs[:2]}
	if err := first.Run(ctx, quiet{}); err != nil {
		t.Fatal(err)
	}
	if first.Codec != Zstd {
		t.Errorf("codec for Docker 26 = %s, want zstd", first.Codec)
	}
	if len(first.Shipped) != 2 || first.Bytes > baseSize*3/2 {
		t.Errorf("shipped %v in %d bytes: the %d-byte base went more than once", first.Shipped, first.Bytes, baseSize)
	}
	sameOnHost(t, local, host, refs[:2]...)
	third := &ShipImages{Local: local.Client(), Remote: host.Client(), Host: c, Address: c.Address(), Refs: refs}
	if err := third.Run(ctx, quiet{}); err != nil {
		t.Fatal(err)
	}
	if len(third.Shipped) != 1 || len(third.Skipped) != 2 || third.Bytes > 64<<10 {
		t.Errorf("third image: shipped %v, skipped %v, %d bytes (the base was on the host)", third.Shipped, third.Skipped, third.Bytes)
	}
	sameOnHost(t, local, host, refs...)
	t.Logf("two images sharing a %d-byte base: %d bytes; the third: %d bytes", baseSize, first.Bytes, third.Bytes)
}

// Debian 12's engine (20.10) cannot read zstd in images/load: the probe
// picks gzip, and zstd through the host's shell once zstd is installed.
func TestShipImagesToDocker2010(t *testing.T) {
	testenv.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h := sshtest.Start(t, sshtest.Bookworm)
	h.Exec(t, `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
(dockerd >/var/log/dockerd.log 2>&1 &)
for i in $(seq 100); do docker info >/dev/null 2>&1 && exit 0; sleep 0.3; done; cat /var/log/dockerd.log; exit 1`)
	o := sshx.Options{User: "root", Addr: h.Addr, Port: h.Port, IdentityFile: h.Identity, KnownHostsFile: h.KnownHosts}
	c, err := sshx.Dial(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	local, host := engines(t, c)
	refs := sharedBaseImages(t, "a", "b")

	forced := &ShipImages{Local: local.Client(), Remote: host.Client(), Address: c.Address(), Refs: refs[:1], Codec: Zstd}
	err = forced.Run(ctx, quiet{})
	if err == nil {
		t.Fatal("Docker 20.10 loaded a zstd stream: the probe could send it zstd")
	}
	if !strings.Contains(err.Error(), refs[0]) || !strings.Contains(err.Error(), c.Address()) {
		t.Errorf("the error names neither the image nor the host: %v", err)
	}
	t.Logf("zstd into 20.10's images/load: %v", err)

	gz := &ShipImages{Local: local.Client(), Remote: host.Client(), Host: c, Address: c.Address(), Refs: refs[:1]}
	if err := gz.Run(ctx, quiet{}); err != nil {
		t.Fatal(err)
	}
	if gz.Codec != Gzip {
		t.Errorf("codec for Docker 20.10 without zstd = %s, want gzip", gz.Codec)
	}
	h.Exec(t, "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zstd >/dev/null")
	cli := &ShipImages{Local: local.Client(), Remote: host.Client(), Host: c, Address: c.Address(), Refs: refs}
	if err := cli.Run(ctx, quiet{}); err != nil {
		t.Fatal(err)
	}
	if cli.Codec != ZstdCLI || len(cli.Shipped) != 1 || cli.Bytes > 64<<10 {
		t.Errorf("with zstd on the host: codec %s, shipped %v in %d bytes", cli.Codec, cli.Shipped, cli.Bytes)
	}
	sameOnHost(t, local, host, refs...)
}
