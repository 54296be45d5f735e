package provision

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/mlforge/mlforge/bootstrap"
)

// Keys are an environment's SSH material, kept in its 0700 directory:
// the login key pair (id_ed25519, becomes the EC2 key pair) and the host
// key pair installed by cloud-init and pinned by the client.
type Keys struct {
	KeyFile   string // private login key, 0600
	PublicKey string // authorized_keys line of the login key
	Host      bootstrap.HostKey
}

// HostKeyFingerprint is SHA256:... of the host key.
func (k *Keys) HostKeyFingerprint() (string, error) { return k.Host.Fingerprint() }

// EnvKeys loads the keys of the environment at dir, generating what is
// missing. Files are written aside and renamed, so a failed run never leaves
// half a key behind.
func EnvKeys(dir string) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	k := &Keys{KeyFile: filepath.Join(dir, "id_ed25519")}
	priv, pub, err := loadPair(k.KeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		priv, pub, err = newLoginKey()
		if err == nil {
			err = writePair(k.KeyFile, priv, pub)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("environment SSH key %s: %w", k.KeyFile, err)
	}
	k.PublicKey = pub
	hostFile := filepath.Join(dir, "ssh_host_ed25519_key")
	hpriv, hpub, err := loadPair(hostFile)
	if errors.Is(err, fs.ErrNotExist) {
		var hk bootstrap.HostKey
		hk, err = bootstrap.GenerateHostKey()
		if err == nil {
			hpriv, hpub = hk.PrivatePEM, hk.Public
			err = writePair(hostFile, hpriv, hpub)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("host key %s: %w", hostFile, err)
	}
	k.Host = bootstrap.HostKey{Type: "ed25519", PrivatePEM: hpriv, Public: hpub}
	if _, err := k.Host.Fingerprint(); err != nil {
		return nil, fmt.Errorf("host key %s: %w", hostFile, err)
	}
	return k, nil
}

// WorkerHostKey loads (or generates and keeps) the host key of swarm
// worker i (0-based), pinned like the manager's.
func WorkerHostKey(dir string, i int) (bootstrap.HostKey, error) {
	file := filepath.Join(dir, fmt.Sprintf("ssh_host_ed25519_key.worker-%d", i+1))
	priv, pub, err := loadPair(file)
	if errors.Is(err, fs.ErrNotExist) {
		var k bootstrap.HostKey
		if k, err = bootstrap.GenerateHostKey(); err == nil {
			priv, pub = k.PrivatePEM, k.Public
			err = writePair(file, priv, pub)
		}
	}
	if err != nil {
		return bootstrap.HostKey{}, fmt.Errorf("worker %d's host key %s: %w", i+1, file, err)
	}
	return bootstrap.HostKey{Type: "ed25519", PrivatePEM: priv, Public: pub}, nil
}

// LoadKeys loads the keys of the environment at dir and generates
// nothing: commands that only reach an existing host use it.
func LoadKeys(dir string) (*Keys, error) {
	k := &Keys{KeyFile: filepath.Join(dir, "id_ed25519")}
	_, pub, err := loadPair(k.KeyFile)
	if err != nil {
		return nil, missingKey(k.KeyFile, err)
	}
	k.PublicKey = pub
	hostFile := filepath.Join(dir, "ssh_host_ed25519_key")
	hpriv, hpub, err := loadPair(hostFile)
	if err != nil {
		return nil, missingKey(hostFile, err)
	}
	k.Host = bootstrap.HostKey{Type: "ed25519", PrivatePEM: hpriv, Public: hpub}
	return k, nil
}

func missingKey(file string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the environment's key %s is not on this machine: it is created by `mlforge up` on the machine that created the environment", file)
	}
	return fmt.Errorf("environment key %s: %w", file, err)
}

func newLoginKey() (priv, pub string, err error) {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(sk, "mlforge")
	if err != nil {
		return "", "", err
	}
	spub, err := ssh.NewPublicKey(pk)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(spub))) + " mlforge", nil
}

// loadPair reads FILE (private, must be 0600) and FILE.pub.
func loadPair(file string) (priv, pub string, err error) {
	st, err := os.Stat(file)
	if err != nil {
		return "", "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", "", fmt.Errorf("mode %o is readable by others; run chmod 600 %s", st.Mode().Perm(), file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", err
	}
	p, err := os.ReadFile(file + ".pub")
	if err != nil {
		return "", "", fmt.Errorf("public half missing (%w); delete %s to generate a new pair", err, file)
	}
	if _, err := ssh.ParseRawPrivateKey(b); err != nil {
		return "", "", fmt.Errorf("not a private key: %w", err)
	}
	return string(b), strings.TrimSpace(string(p)), nil
}

func writePair(file, priv, pub string) error {
	if err := writeAtomic(file+".pub", []byte(pub+"\n"), 0o644); err != nil {
		return err
	}
	return writeAtomic(file, []byte(priv), 0o600)
}

func writeAtomic(file string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), file)
}
