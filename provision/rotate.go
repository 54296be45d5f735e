package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

// installHostKey replaces the ed25519 host key with the one on stdin and
// makes sshd use it; existing connections are kept.
const installHostKey = `set -e
umask 077
cat > /etc/ssh/ssh_host_ed25519_key.mlforge
ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key.mlforge > /etc/ssh/ssh_host_ed25519_key.mlforge.pub
chmod 644 /etc/ssh/ssh_host_ed25519_key.mlforge.pub
mv /etc/ssh/ssh_host_ed25519_key.mlforge.pub /etc/ssh/ssh_host_ed25519_key.pub
mv /etc/ssh/ssh_host_ed25519_key.mlforge /etc/ssh/ssh_host_ed25519_key
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet ssh; then systemctl reload ssh
elif command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet sshd; then systemctl reload sshd
else kill -HUP "$(cat /run/sshd.pid 2>/dev/null || pgrep -o -x sshd)"; fi`

// RotateHostKey replaces the host key the host got through cloud-init, which
// stays readable in the instance's user data (also from containers, through
// IMDS), with a fresh one sent over the pinned SSH connection only. It runs
// once per instance; an interrupted rotation resumes on the next run.
type RotateHostKey struct {
	Instance *Instance
	KeyDir   string // the environment's key directory
	// Dial opens an SSH connection (sshx.Dial by default).
	Dial func(ctx context.Context, o sshx.Options) (Shell, error)
}

func (r *RotateHostKey) String() string { return "replace the first-boot host key" }

func (r *RotateHostKey) marker() string { return filepath.Join(r.KeyDir, rotatedMarker) }
func (r *RotateHostKey) current() string {
	return filepath.Join(r.KeyDir, "ssh_host_ed25519_key")
}
func (r *RotateHostKey) next() string { return r.current() + ".next" }

// Skip reports a rotation already done for this instance.
func (r *RotateHostKey) Skip(ctx context.Context) (string, bool) {
	b, err := os.ReadFile(r.marker())
	if err == nil && strings.TrimSpace(string(b)) == r.Instance.InstanceID {
		return "done for " + r.Instance.InstanceID, true
	}
	return "", false
}

// Run installs a new key, checks the host presents it, then pins it here.
func (r *RotateHostKey) Run(ctx context.Context, rep pipeline.Reporter) error {
	if r.Dial == nil {
		r.Dial = func(ctx context.Context, o sshx.Options) (Shell, error) { return sshx.Dial(ctx, o) }
	}
	priv, pub, err := loadPair(r.next())
	if errors.Is(err, fs.ErrNotExist) {
		var k bootstrap.HostKey
		if k, err = bootstrap.GenerateHostKey(); err == nil {
			priv, pub = k.PrivatePEM, k.Public
			err = writePair(r.next(), priv, pub)
		}
	} else if err == nil && r.presents(ctx, pub) {
		// An earlier run installed it and stopped before pinning it here.
		return r.promote(priv, pub)
	}
	if err != nil {
		return fmt.Errorf("new host key %s: %w", r.next(), err)
	}
	c, err := r.Dial(ctx, r.Instance.SSHOptions())
	if err != nil {
		return err
	}
	defer c.Close()
	var out bytes.Buffer
	if err := c.Run(ctx, sshx.Sudo("sh -c '"+installHostKey+"'"), strings.NewReader(priv), &out, &out); err != nil {
		if serr := sshx.SudoError(out.String()); serr != nil {
			return serr
		}
		return fmt.Errorf("installing the new host key: %v\n%s", err, ui.Indent(strings.TrimSpace(out.String()), "  "))
	}
	if !r.presents(ctx, pub) {
		return fmt.Errorf("the host does not present the new host key after installing it; run mlforge up again to retry")
	}
	return r.promote(priv, pub)
}

// presents reports whether the host now answers with key pub.
func (r *RotateHostKey) presents(ctx context.Context, pub string) bool {
	o := r.Instance.SSHOptions()
	o.HostKey, o.Attempts = pub, 3
	c, err := r.Dial(ctx, o)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// promote makes the new key the pinned one, here and in Host.
func (r *RotateHostKey) promote(priv, pub string) error {
	if err := writePair(r.current(), priv, pub); err != nil {
		return fmt.Errorf("pinning the new host key: %w", err)
	}
	os.Remove(r.next())
	os.Remove(r.next() + ".pub")
	k := bootstrap.HostKey{Type: "ed25519", PrivatePEM: priv, Public: pub}
	fp, err := k.Fingerprint()
	if err != nil {
		return err
	}
	r.Instance.HostKey, r.Instance.HostKeyFingerprint = pub, fp
	return writeAtomic(r.marker(), []byte(r.Instance.InstanceID+"\n"), 0o600)
}
