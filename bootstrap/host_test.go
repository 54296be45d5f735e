package bootstrap_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
	"github.com/mlforge/mlforge/internal/ui"
)

// logWriter sends rendered status lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func dial(t *testing.T, h *sshtest.Host, user string) *sshx.Client {
	t.Helper()
	c, err := sshx.Dial(context.Background(), h.Options(user))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func bootstrapHost(t *testing.T, c *sshx.Client, opts bootstrap.Options, st bootstrap.Reporter) (*bootstrap.Result, error) {
	t.Helper()
	if st == nil {
		st = ui.NewPlainStatus(logWriter{t})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return bootstrap.Run(ctx, bootstrap.SSHRunner{Client: c}, opts, st)
}

func sh(t *testing.T, c *sshx.Client, script string) string {
	t.Helper()
	var out bytes.Buffer
	if err := c.Run(context.Background(), script, nil, &out, &out); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out.String())
	}
	return out.String()
}

func stepStatus(res *bootstrap.Result) map[string]string {
	m := map[string]string{}
	for _, s := range res.Steps {
		m[s.ID] = s.Status + ": " + s.Detail
	}
	return m
}

// tinyProject is a compose project whose image is built on the spot from
// the image the bootstrap verified with (no registry involved).
const tinyProject = `set -e
mkdir -p ~/tiny && cd ~/tiny
printf 'FROM mlforge/verify:1\nCMD ["/bin/sh", "-c", "echo hello-from-compose"]\n' > Dockerfile
printf 'services:\n  hello:\n    build: .\n' > compose.yaml
DOCKER_BUILDKIT=0 docker compose up --build --abort-on-container-exit --exit-code-from hello
docker compose down --rmi local >/dev/null 2>&1`

// TestFreshHost bootstraps a fresh Debian 13 host as a sudo user, then
// checks Docker and Compose work there for that user, then that a second
// run changes nothing.
func TestFreshHost(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	c := dial(t, h, sshtest.SudoUser)
	// Pinned to what Debian 13 ships, so the pins resolve through apt for real.
	res, err := bootstrapHost(t, c, bootstrap.Options{LockTimeout: time.Minute, DockerVersion: "26.1", ComposeVersion: "2.26"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := stepStatus(res)
	if !res.Changed || !strings.HasPrefix(st["engine"], "done") || !strings.HasPrefix(st["compose"], "done") ||
		!strings.Contains(st["group"], "added "+sshtest.SudoUser) || res.OS != "debian 13" || !strings.HasPrefix(res.Compose, "2.") {
		t.Fatalf("first run: %+v", res)
	}
	t.Logf("fresh bootstrap took %.1fs", res.Seconds)

	// A new login picks up the docker group: no sudo needed from here on.
	c2 := dial(t, h, sshtest.SudoUser)
	if out := sh(t, c2, "docker run --rm mlforge/verify:1"); strings.TrimSpace(out) != "mlforge-ok" {
		t.Fatalf("docker run as %s: %q", sshtest.SudoUser, out)
	}
	if out := sh(t, c2, tinyProject); !strings.Contains(out, "hello-from-compose") {
		t.Fatalf("docker compose up did not run the service:\n%s", out)
	}

	again, err := bootstrapHost(t, c2, bootstrap.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st = stepStatus(again)
	want := map[string]string{"engine": "skipped: already installed", "compose": "skipped: already installed",
		"daemon": "skipped: already running", "group": "skipped: " + sshtest.SudoUser + " already a member"}
	for id, w := range want {
		if !strings.HasPrefix(st[id], w) {
			t.Errorf("second run, step %s = %q, want %q", id, st[id], w)
		}
	}
	if again.Changed {
		t.Errorf("second run changed the host: %+v", again.Steps)
	}
	t.Logf("no-op re-run took %.1fs", again.Seconds)
}

// TestDebian12NeedsDockerRepository: Debian 12 has no Compose v2 package,
// so the script turns to Docker's repository, unreachable here: the error
// must say so and leave no apt source behind.
func TestDebian12NeedsDockerRepository(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Bookworm)
	c := dial(t, h, "root")
	res, err := bootstrapHost(t, c, bootstrap.Options{LockTimeout: time.Minute}, nil)
	if err == nil {
		t.Fatalf("bootstrap succeeded without Docker's repository: %+v", res)
	}
	for _, w := range []string{"cannot reach Docker's repository at https://download.docker.com/linux/debian",
		"Debian GNU/Linux 12 (bookworm) has no Compose v2 package", "Debian 13 or Ubuntu 24.04"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if res.Channel != "docker-ce" {
		t.Errorf("channel = %q, want docker-ce chosen for Debian 12", res.Channel)
	}
	if out, _ := h.TryExec("ls /etc/apt/sources.list.d/docker.list /etc/apt/keyrings/docker.asc 2>&1; command -v dockerd"); !strings.Contains(out, "No such file") || strings.Contains(out, "/dockerd") {
		t.Errorf("something was left behind: %s", out)
	}
}

// holdLock holds dpkg's frontend lock in the host the way apt does (fcntl).
// It marks the lock taken with a file of its own: /proc/locks is shared by
// every container on the machine, so other tests' locks show there too.
const holdLock = `rm -f /tmp/lock-held; nohup perl -MFcntl -e 'open(my $f, "+<", "/var/lib/dpkg/lock-frontend") or die $!;
my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die $!;
open(my $m, ">", "/tmp/lock-held") or die $!; close $m; sleep 600' >/dev/null 2>&1 &
for i in $(seq 50); do [ -e /tmp/lock-held ] && exit 0; sleep 0.2; done; echo "lock not taken"; exit 1`

// TestAptLockHeld: another process holds the dpkg lock: the script waits,
// then fails after the (short) timeout naming the lock and its holder.
func TestAptLockHeld(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	h.Exec(t, holdLock)
	c := dial(t, h, "root")
	var log bytes.Buffer
	start := time.Now()
	_, err := bootstrapHost(t, c, bootstrap.Options{LockTimeout: 3 * time.Second}, ui.NewPlainStatus(&log))
	t.Log(log.String())
	if err == nil {
		t.Fatal("bootstrap ran while dpkg was locked")
	}
	for _, w := range []string{"package manager busy: /var/lib/dpkg/lock-frontend held by process", "(perl)", "timeout 3s"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if !strings.Contains(log.String(), "waiting for /var/lib/dpkg/lock-frontend") || time.Since(start) < 3*time.Second {
		t.Errorf("did not wait for the lock (%s):\n%s", time.Since(start), log.String())
	}
	if out, _ := h.TryExec("command -v dockerd || echo absent"); !strings.Contains(out, "absent") {
		t.Errorf("installed despite the lock: %s", out)
	}

	// Once the lock is free, a version the mirror does not have is refused by name.
	h.Exec(t, "pkill -x perl; sleep 0.5")
	_, err = bootstrapHost(t, c, bootstrap.Options{DockerVersion: "19.03"}, nil)
	if err == nil || !strings.Contains(err.Error(), "docker.io 19.03 is not available from the distro packages (available: 26.1") {
		t.Errorf("err = %v, want the unavailable pin named with what is available", err)
	}
}

// cutter closes the SSH connection once the package install is under way.
type cutter struct {
	*ui.Status
	once sync.Once
	cut  func()
}

func (c *cutter) Update(detail string) {
	c.Status.Update(detail)
	if strings.HasPrefix(detail, "apt-get install") {
		c.once.Do(func() { time.AfterFunc(1500*time.Millisecond, c.cut) })
	}
}

// TestConnectionCutMidInstall drops the connection while apt installs
// Docker; the next run must converge to a working host.
func TestConnectionCutMidInstall(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	c := dial(t, h, "root")
	st := &cutter{Status: ui.NewPlainStatus(logWriter{t}), cut: func() { c.Close() }}
	_, err := bootstrapHost(t, c, bootstrap.Options{LockTimeout: 2 * time.Minute}, st)
	if err == nil || !strings.Contains(err.Error(), "bootstrap interrupted during") || !strings.Contains(err.Error(), "safe to run again") {
		t.Fatalf("err = %v, want an interrupted install", err)
	}
	res, err := bootstrapHost(t, dial(t, h, "root"), bootstrap.Options{LockTimeout: 2 * time.Minute}, nil)
	if err != nil {
		t.Fatalf("re-run after the cut: %v", err)
	}
	if out := sh(t, dial(t, h, "root"), "docker run --rm mlforge/verify:1 && dpkg --audit && echo audit-clean"); !strings.Contains(out, "mlforge-ok") || !strings.Contains(out, "audit-clean") {
		t.Fatalf("host not converged: %q (%+v)", out, res)
	}
}

// TestCloudInitSchema checks rendered user data with cloud-init's own validator.
func TestCloudInitSchema(t *testing.T) {
	t.Parallel()
	const image = "mlforge-test/cloud-init:trixie"
	testenv.RequireImage(t, image)
	k, err := bootstrap.GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	login, _ := bootstrap.GenerateHostKey()
	for _, opts := range []bootstrap.CloudInitOptions{
		{User: "ubuntu", HostKeys: []bootstrap.HostKey{k}, AuthorizedKeys: []string{login.Public}},
		{User: "ec2-user", Channel: "docker-ce"},
		{User: "ubuntu", HostKeys: []bootstrap.HostKey{k}, AuthorizedKeys: []string{login.Public}, Gzip: true,
			DataDevices: []string{"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "/dev/xvdf"}},
	} {
		data, err := bootstrap.UserData(opts)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "user-data"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		// cloud-init's own user-data processing (which decompresses gzip)
		// must find one cloud-config part, which its validator must accept.
		out, err := exec.Command("docker", "run", "--rm", "-v", dir+":/data:ro", "--entrypoint", "sh", image, "-c",
			cloudInitRead+" > /tmp/cloud-config && cloud-init schema --config-file /tmp/cloud-config").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Valid schema") {
			t.Fatalf("cloud-init rejected the user data (gzip %v; %v):\n%s", opts.Gzip, err, out)
		}
	}
}

// cloudInitRead prints the cloud-config part cloud-init finds in
// /data/user-data, failing unless there is exactly one.
const cloudInitRead = `python3 -c '
from cloudinit import helpers, user_data
msg = user_data.UserDataProcessor(helpers.Paths({})).process(open("/data/user-data", "rb").read())
parts = [p for p in msg.walk() if p.get_content_type() == "text/cloud-config"]
assert len(parts) == 1, [p.get_content_type() for p in msg.walk()]
print(parts[0].get_payload(decode=True).decode(), end="")
'`

// TestSudoNeedsPassword: a user whose sudo asks for a password gets an
// error saying so, and nothing runs.
func TestSudoNeedsPassword(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	res, err := bootstrapHost(t, dial(t, h, sshtest.PasswordUser), bootstrap.Options{}, nil)
	if !errors.Is(err, sshx.ErrSudoPassword) || !strings.Contains(err.Error(), sshtest.PasswordUser+"@127.0.0.1") {
		t.Fatalf("err = %v, want the sudo password error naming the host", err)
	}
	if len(res.Steps) != 0 {
		t.Fatalf("steps ran without root: %+v", res.Steps)
	}
}

// A machine where cloud-init is installed but never ran (WSL, desktop
// images, boxes where the package came later): `cloud-init status --wait`
// never returns there, so bootstrap must not wait for it, and must not sit
// out its lock timeout either.
func TestCloudInitInstalledButNeverRan(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	c := dial(t, h, "root")
	sh(t, c, "apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cloud-init >/dev/null")
	status := sh(t, c, "cloud-init status 2>&1 || true")
	if strings.Contains(status, "running") || strings.Contains(status, "done") {
		t.Fatalf("cloud-init on the test host is not in the never-ran state: %q", status)
	}
	t.Logf("cloud-init status: %s", strings.TrimSpace(status))
	// Waiting for it would end in "cloud-init still running after 60s".
	res, err := bootstrapHost(t, c, bootstrap.Options{LockTimeout: 60 * time.Second}, nil)
	if err != nil {
		t.Fatalf("bootstrap with cloud-init never run: %v", err)
	}
	for _, s := range res.Steps {
		if s.ID == "wait" && strings.Contains(s.Detail, "cloud-init") {
			t.Errorf("the wait step says it waited for cloud-init: %+v", s)
		}
	}
}
