package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
)

// TestRotateHostKeyOnRealHost replaces a real sshd's host key over the
// pinned connection: the host then presents the new key, the old one is
// refused, the new one is pinned locally, and a second run skips.
func TestRotateHostKeyOnRealHost(t *testing.T) {
	h := sshtest.Start(t, sshtest.Bookworm)
	keyDir := t.TempDir()
	first := Instance{InstanceID: "i-0abc", Address: "127.0.0.1", Port: h.Port, User: sshtest.SudoUser, KeyFile: h.Identity, HostKey: h.HostKey}
	host := first
	r := &RotateHostKey{Instance: &host, KeyDir: keyDir}
	if _, skip := r.Skip(context.Background()); skip {
		t.Fatal("skipped before any rotation")
	}
	if err := r.Run(context.Background(), &recReporter{}); err != nil {
		t.Fatal(err)
	}
	if host.HostKey == first.HostKey || !strings.HasPrefix(host.HostKeyFingerprint, "SHA256:") {
		t.Fatalf("host key not replaced: %+v", host)
	}
	pub, err := os.ReadFile(filepath.Join(keyDir, "ssh_host_ed25519_key.pub"))
	if err != nil || strings.TrimSpace(string(pub)) != host.HostKey {
		t.Errorf("new key not pinned locally: %q %v", pub, err)
	}
	if _, err := os.Stat(filepath.Join(keyDir, "ssh_host_ed25519_key.next")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pending key was left behind: %v", err)
	}
	c, err := sshx.Dial(context.Background(), host.SSHOptions())
	if err != nil {
		t.Fatalf("dial with the new pinned key: %v", err)
	}
	c.Close()
	old := first.SSHOptions()
	old.Attempts = 1
	var changed *sshx.HostKeyChangedError
	if _, err := sshx.Dial(context.Background(), old); !errors.As(err, &changed) {
		t.Errorf("the first-boot key is still accepted: %v", err)
	}
	if reason, skip := r.Skip(context.Background()); !skip || !strings.Contains(reason, "i-0abc") {
		t.Errorf("second run not skipped: %q", reason)
	}
}

type recReporter struct{ lines []string }

func (r *recReporter) Update(string)    {}
func (r *recReporter) Println(l string) { r.lines = append(r.lines, l) }
