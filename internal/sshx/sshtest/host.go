// Package sshtest starts disposable SSH "hosts" for tests: containers from
// the sshd host images (scripts/testenv/hosts.sh and images.sh) with fresh
// host keys, a generated login key, a passwordless-sudo user, and enough
// privileges for a Docker engine to run inside. They are reached only
// through sshd published on 127.0.0.1.
//
// For containers to run inside a host (not only dockerd), the host gets
// every capability but CAP_SYS_MODULE and CAP_SYS_RESOURCE, no seccomp or
// AppArmor profile, all devices, the machine's /sys/fs/cgroup mounted
// read-write (Docker mounts it read-only otherwise) and /proc/sys remounted
// read-write (Docker 26 sets per-container sysctls); /var/lib/docker is a
// volume so overlay2 works. No systemd runs there: like WSL and many
// devcontainers, the install script starts dockerd directly.
package sshtest

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/testenv"
)

// Images the harness knows.
const (
	Trixie   = "mlforge-test/sshd-host:trixie"
	Bookworm = "mlforge-test/sshd-host:bookworm"
)

// SudoUser is the non-root user with passwordless sudo on every host;
// PasswordUser needs a password for sudo.
const (
	SudoUser     = "deploy"
	PasswordUser = "pwuser"
)

// Host is a running test host.
type Host struct {
	Name     string // container name
	Addr     string // always 127.0.0.1
	Port     int    // sshd published on 127.0.0.1
	HostKey  string // ed25519 host key, authorized_keys format
	Identity string // private key file accepted for root, SudoUser and PasswordUser
	// KnownHosts is a known_hosts file (in the test's temp dir) holding
	// this host's key.
	KnownHosts string
}

// capabilities Docker needs inside the host: all but CAP_SYS_MODULE and
// CAP_SYS_RESOURCE, which cannot be granted here (so no --privileged).
var capabilities = []string{"AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN",
	"DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
	"LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN",
	"SYS_BOOT", "SYS_CHROOT", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_TIME",
	"SYS_TTY_CONFIG", "WAKE_ALARM"}

// setup runs as the container's command: fresh host keys per host, the
// users, then sshd in the foreground.
const setup = `set -e
rm -f /etc/ssh/ssh_host_*; ssh-keygen -q -A
for u in ` + SudoUser + ` ` + PasswordUser + `; do id "$u" >/dev/null 2>&1 || useradd -m -s /bin/sh "$u"; done
echo '` + PasswordUser + `:not-a-real-password' | chpasswd
echo '` + SudoUser + ` ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/` + SudoUser + `
echo '` + PasswordUser + ` ALL=(ALL) ALL' > /etc/sudoers.d/` + PasswordUser + `
for h in /root /home/` + SudoUser + ` /home/` + PasswordUser + `; do
  mkdir -p "$h/.ssh"; printf '%s\n' "$AUTHORIZED_KEY" > "$h/.ssh/authorized_keys"
  chmod 700 "$h/.ssh"; chmod 600 "$h/.ssh/authorized_keys"; chown -R "$(stat -c %U "$h")" "$h/.ssh"
done
# Docker inside needs to set per-container sysctls, which a container may not by default.
mount -o remount,rw /proc/sys
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e`

// Start runs a host from image and removes it when the test ends.
func Start(t testing.TB, image string) *Host {
	t.Helper()
	testenv.RequireImage(t, image)
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{Name: testenv.Name(t) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36), Addr: "127.0.0.1",
		Identity: filepath.Join(dir, "id_ed25519"), KnownHosts: filepath.Join(dir, "known_hosts")}
	if err := os.WriteFile(h.Identity, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	args := []string{"run", "-d", "--name", h.Name, "--hostname", "testhost",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"--device-cgroup-rule", "a *:* rwm", "-v", "/sys/fs/cgroup:/sys/fs/cgroup",
		"-v", h.Name + ":/var/lib/docker", "-p", "127.0.0.1::22",
		"-e", "AUTHORIZED_KEY=" + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))}
	for _, c := range capabilities {
		args = append(args, "--cap-add", c)
	}
	args = append(args, image, "sh", "-c", setup)
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		t.Fatalf("starting test host from %s: %v\n%s", image, err, out)
	}
	t.Cleanup(h.Remove)
	h.Port = h.publishedPort(t)
	h.waitSSH(t)
	h.HostKey = strings.Join(strings.Fields(h.Exec(t, "cat /etc/ssh/ssh_host_ed25519_key.pub"))[:2], " ")
	if err := os.WriteFile(h.KnownHosts, []byte(h.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// KnownHostsLine is this host's known_hosts entry.
func (h *Host) KnownHostsLine() string {
	return fmt.Sprintf("[%s]:%d %s", h.Addr, h.Port, h.HostKey)
}

// Options returns client options for user with the host's identity and known_hosts.
func (h *Host) Options(user string) sshx.Options {
	return sshx.Options{User: user, Addr: h.Addr, Port: h.Port, IdentityFile: h.Identity,
		KnownHostsFile: h.KnownHosts, Attempts: 3, Backoff: 200 * time.Millisecond}
}

// Target returns "user@127.0.0.1:port".
func (h *Host) Target(user string) string { return fmt.Sprintf("%s@%s:%d", user, h.Addr, h.Port) }

// Exec runs a shell command in the host as root (outside SSH, for setup and
// checks) and returns its output, failing the test on error.
func (h *Host) Exec(t testing.TB, script string) string {
	t.Helper()
	out, err := h.TryExec(script)
	if err != nil {
		t.Fatalf("in %s: %s: %v\n%s", h.Name, script, err, out)
	}
	return out
}

// TryExec is Exec returning the error.
func (h *Host) TryExec(script string) (string, error) {
	out, err := exec.Command("docker", "exec", h.Name, "sh", "-c", script).CombinedOutput()
	return string(out), err
}

func (h *Host) publishedPort(t testing.TB) int {
	t.Helper()
	out, err := exec.Command("docker", "port", h.Name, "22/tcp").Output()
	if err != nil {
		t.Fatalf("docker port %s: %v", h.Name, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if host, port, err := net.SplitHostPort(strings.TrimSpace(line)); err == nil && host == "127.0.0.1" {
			n, _ := strconv.Atoi(port)
			return n
		}
	}
	t.Fatalf("sshd of %s is not published on 127.0.0.1: %q", h.Name, out)
	return 0
}

// waitSSH waits for the SSH banner (host keys generated, sshd listening).
func (h *Host) waitSSH(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(h.Addr, strconv.Itoa(h.Port)), time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-") {
				return
			}
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", h.Name).CombinedOutput()
			t.Fatalf("sshd in %s did not answer within 30s\n%s", h.Name, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Remove stops and deletes the host at once, like a terminated instance
// (Start does it when the test ends; a test replacing a host does it
// earlier).
func (h *Host) Remove() {
	_ = exec.Command("docker", "rm", "-f", "-v", h.Name).Run()
	_ = exec.Command("docker", "volume", "rm", "-f", h.Name).Run()
}

// AuthorizeIdentity lets the key in identity (another host's Identity) log
// in to this host as every user, so one --identity reaches several hosts.
func (h *Host) AuthorizeIdentity(t testing.TB, identity string) {
	t.Helper()
	pem, err := os.ReadFile(identity)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	h.Exec(t, "for f in /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys; do echo '"+line+"' >> \"$f\"; done")
}

// ReverseForward makes addr on the host's loopback reach addr on this
// machine through c, the way a host reaches a registry running here. The
// forward lasts as long as c or the test.
func ReverseForward(t testing.TB, c *sshx.Client, addr string) {
	t.Helper()
	l, err := c.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	forward(t, l, addr)
}

// ContainerGateway is the name under which containers on a host reach the
// host itself (compose's extra_hosts: "host.docker.internal:host-gateway").
const ContainerGateway = "host.docker.internal"

// ForwardToContainers makes addr on this machine reachable from the
// containers on h, as ContainerGateway at addr's port, through a
// connection of its own (the listener is on all of h's addresses, which
// sshd allows only with GatewayPorts). It stands in for a service of the
// cloud account, such as S3, that outlives the host.
func ForwardToContainers(t testing.TB, h *Host, addr string) string {
	t.Helper()
	h.Exec(t, "grep -q '^GatewayPorts clientspecified' /etc/ssh/sshd_config || sed -i '1i GatewayPorts clientspecified' /etc/ssh/sshd_config; kill -HUP 1")
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var c *sshx.Client
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		// sshd restarts on the HUP: the first attempts may find it away.
		if c, err = sshx.Dial(context.Background(), h.Options("root")); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	l, err := c.Listen("tcp", "0.0.0.0:"+port)
	if err != nil {
		t.Fatal(err)
	}
	forward(t, l, addr)
	return ContainerGateway + ":" + port
}

// forward copies each connection l accepts to addr on this machine, until
// l closes or the test ends.
func forward(t testing.TB, l net.Listener, addr string) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer in.Close()
				out, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer out.Close()
				go io.Copy(out, in)
				io.Copy(in, out)
			}()
		}
	}()
}

// StopForDetach does what an instance's shutdown does before its data
// volume is detached: stops the containers, then Docker (no systemd runs
// here to do it), then unmounts Docker's volumes directory, which the
// data volume holds.
func (h *Host) StopForDetach(t testing.TB) {
	t.Helper()
	h.Exec(t, `docker ps -q | xargs -r docker stop -t 20 >/dev/null
		kill $(cat /var/run/docker.pid); while [ -e /var/run/docker.pid ]; do sleep 0.2; done
		umount /var/lib/docker/volumes`)
}

// AttachBlockDevice makes the block device with the loop driver's minor
// number (testenv.LoopDevice) appear in the host at path, the way an
// attached cloud volume appears on an instance.
func (h *Host) AttachBlockDevice(t testing.TB, path string, minor int) {
	t.Helper()
	h.Exec(t, fmt.Sprintf("mkdir -p \"$(dirname %[1]s)\" && rm -f %[1]s && mknod %[1]s b 7 %[2]d", path, minor))
}
