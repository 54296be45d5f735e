package cli

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

func TestBootstrapFlagErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bootstrap"}, "error: mlforge bootstrap needs --host user@address[:port] (repeatable) or --local\nhint: run 'mlforge bootstrap --help' for the flags\n"},
		{[]string{"bootstrap", "--local", "--host", "a@b"}, "--host and --local cannot be combined"},
		{[]string{"bootstrap", "--local", "--accept-new"}, "--identity, --known-hosts and --accept-new apply to --host only"},
		{[]string{"bootstrap", "--host", "nouser"}, `--host "nouser" is not user@address[:port]`},
		{[]string{"bootstrap", "--host", "a@b:99999"}, `port "99999" must be a number from 1 to 65535`},
		{[]string{"bootstrap", "--host", "a@b", "--host", "a@b:22"}, "--host a@b:22 is given twice"},
		{[]string{"bootstrap", "--host", "a@b", "--channel", "snap"}, `--channel: channel "snap" is not one of distro, docker-ce`},
		{[]string{"bootstrap", "--host", "a@b", "--docker-version", "latest"}, `--docker-version "latest" is not a version`},
		{[]string{"bootstrap", "--host", "a@b", "--lock-timeout", "0s"}, "--lock-timeout 0s must be positive"},
		{[]string{"bootstrap", "--host", "a@b", "--identity", filepath.Join(dir, "nope")}, "--identity " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{[]string{"bootstrap", "extra"}, `mlforge bootstrap takes no arguments (got "extra")`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			r := run(t, dir, tc.args...)
			if r.code != 2 || !strings.Contains(r.errOut, tc.want) || r.out != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit 2 and %q", r.code, r.errOut, r.out, tc.want)
			}
		})
	}
}

// TestBootstrapHosts runs the command against two real hosts at once: a
// Debian 13 host that gets Docker and a Debian 12 host that cannot (no
// Compose v2 package, Docker's repository unreachable); then host key
// refusal and a no-op re-run with --json.
func TestBootstrapHosts(t *testing.T) {
	t.Parallel()
	trixie := sshtest.Start(t, sshtest.Trixie)
	bookworm := sshtest.Start(t, sshtest.Bookworm)
	bookworm.AuthorizeIdentity(t, trixie.Identity)
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")

	r := run(t, dir, "bootstrap", "--host", trixie.Target("root"), "--identity", trixie.Identity, "--known-hosts", known)
	if r.code != 1 || !strings.Contains(r.errOut, "is not known (ssh-ed25519 key SHA256:") || !strings.Contains(r.errOut, "hint: compare the fingerprint") {
		t.Fatalf("unknown host: exit %d, stderr:\n%s", r.code, r.errOut)
	}

	r = run(t, dir, "bootstrap", "--host", trixie.Target(sshtest.SudoUser), "--host", bookworm.Target("root"),
		"--identity", trixie.Identity, "--known-hosts", known, "--accept-new", "--lock-timeout", "1m")
	t.Logf("stderr:\n%s", r.errOut)
	if r.code != 1 || !strings.Contains(r.errOut, "bootstrap failed on 1 of 2 hosts") || !strings.Contains(r.errOut, "cannot reach Docker's repository") {
		t.Fatalf("exit %d, want 1 with the Debian 12 host failing", r.code)
	}
	for _, h := range []string{trixie.Target(sshtest.SudoUser) + ":\n • connect to", bookworm.Target("root") + ":\n • connect to"} {
		if !strings.Contains(r.errOut, h) {
			t.Errorf("no status block starting %q", h)
		}
	}
	if !strings.Contains(r.out, trixie.Target(sshtest.SudoUser)+"  debian 13") || !strings.Contains(r.out, "changed") || !strings.Contains(r.out, "failed") {
		t.Errorf("summary:\n%s", r.out)
	}
	b, _ := os.ReadFile(known)
	if !strings.Contains(string(b), trixie.KnownHostsLine()) || !strings.Contains(string(b), bookworm.KnownHostsLine()) {
		t.Errorf("--accept-new did not record both hosts:\n%s", b)
	}

	r = run(t, dir, "bootstrap", "--host", trixie.Target(sshtest.SudoUser), "--identity", trixie.Identity, "--known-hosts", known, "--json")
	var out struct{ Hosts []bootstrap.Result }
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || r.code != 0 {
		t.Fatalf("exit %d, stdout %q: %v\n%s", r.code, r.out, err, r.errOut)
	}
	if len(out.Hosts) != 1 || out.Hosts[0].Changed || !strings.HasPrefix(out.Hosts[0].Compose, "2.") {
		t.Fatalf("second run: %+v", out.Hosts)
	}
	if !strings.Contains(r.errOut, "Docker Engine (already installed") || !strings.Contains(r.errOut, "Compose v2 (already installed") {
		t.Errorf("second run should say already installed:\n%s", r.errOut)
	}
}

// TestBootstrapLocal runs --local on this machine, which the test
// environment already gave Docker and Compose v2: nothing to install, and
// the verification must pass.
func TestBootstrapLocal(t *testing.T) {
	testenv.RequireCompose(t)
	if os.Geteuid() != 0 {
		t.Skip("--local needs root or passwordless sudo; the CI machine runs tests as root")
	}
	r := run(t, t.TempDir(), "bootstrap", "--local", "--json")
	var out struct{ Hosts []bootstrap.Result }
	if err := json.Unmarshal([]byte(r.out), &out); err != nil || r.code != 0 {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.out, r.errOut)
	}
	if len(out.Hosts) != 1 || out.Hosts[0].Host != "this machine" || out.Hosts[0].Changed || out.Hosts[0].Docker == "" {
		t.Fatalf("local run: %+v\n%s", out.Hosts, r.errOut)
	}
}

// bootstrap --cloud-init prints the user data a machine runs at first
// boot: cloud-config as EC2 gets it, gzip-compressed with --gzip.
func TestBootstrapCloudInit(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id.pub")
	pub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEAT0lPQgi5CQH3Mr68fE899PApJbXSAIzqc3huWspik me@laptop"
	if err := os.WriteFile(key, []byte(pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, "bootstrap", "--cloud-init", "--user", "admin", "--authorized-key", key)
	if r.code != 0 || !strings.HasPrefix(r.out, "#cloud-config\n") || !strings.Contains(r.out, pub) || !strings.Contains(r.out, "- --user\n") || !strings.Contains(r.out, "- admin\n") {
		t.Fatalf("--cloud-init: exit %d\n%.300s", r.code, r.out)
	}
	if !strings.Contains(r.errOut, "pass --gzip for EC2") {
		t.Errorf("no note about EC2's limit for %d bytes: %q", len(r.out), r.errOut)
	}
	z := run(t, dir, "bootstrap", "--cloud-init", "--gzip")
	zr, err := gzip.NewReader(strings.NewReader(z.out))
	if z.code != 0 || err != nil {
		t.Fatalf("--gzip: exit %d, %v", z.code, err)
	}
	doc, _ := io.ReadAll(zr)
	if !strings.HasPrefix(string(doc), "#cloud-config\n") || len(z.out) > 16*1024 {
		t.Errorf("--gzip: %d bytes, unpacks to %.40q", len(z.out), doc)
	}
	if bad := run(t, dir, "bootstrap", "--cloud-init", "--local"); bad.code != 2 {
		t.Errorf("--cloud-init --local: exit %d, want 2", bad.code)
	}
	if bad := run(t, dir, "bootstrap", "--cloud-init", "--authorized-key", "/nonexistent"); bad.code != 2 || !strings.Contains(bad.errOut, "--authorized-key /nonexistent") {
		t.Errorf("missing key file: exit %d %q", bad.code, bad.errOut)
	}
}
