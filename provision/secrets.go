package provision

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlforge/mlforge/internal/errs"
)

// PassphraseEnv gives the secrets passphrase (for CI and teams);
// PulumiPassphraseEnv, pulumi's own variable, is honoured too.
const (
	PassphraseEnv       = "MLFORGE_PASSPHRASE"
	PulumiPassphraseEnv = "PULUMI_CONFIG_PASSPHRASE"
)

// Passphrase returns the secrets passphrase of one environment:
// $MLFORGE_PASSPHRASE, else $PULUMI_CONFIG_PASSPHRASE, else the content of
// file; with create, one is generated (32 random bytes) into file (mode
// 0600) on first use, except on a CI runner (CI set), where it would leave
// with the runner and lock the environment's secrets away: there the
// passphrase must come from a secret. A file readable by others is refused.
func Passphrase(file string, getenv func(string) string, create bool) (string, error) {
	for _, name := range []string{PassphraseEnv, PulumiPassphraseEnv} {
		if v := getenv(name); v != "" {
			return v, nil
		}
	}
	p, err := readPassphrase(file)
	switch {
	case err == nil:
		return p, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	case !create:
		return "", fmt.Errorf("the environment's passphrase is not on this machine (%s): set %s", file, PassphraseEnv)
	case getenv("CI") != "":
		return "", errs.WithHint(fmt.Errorf("no secrets passphrase on this CI runner (%s is not set)", PassphraseEnv),
			fmt.Sprintf("set %s from a CI secret (the same value everywhere the environment is used); a generated one would leave with the runner", PassphraseEnv))
	}
	return newPassphrase(file, getenv, create)
}

// readPassphrase reads a passphrase file (fs.ErrNotExist when absent).
func readPassphrase(file string) (string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("reading passphrase: %w", err)
	}
	if st, serr := os.Stat(file); serr == nil && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("passphrase file %s has mode %o; run chmod 600 %s", file, st.Mode().Perm(), file)
	}
	p := strings.TrimSpace(string(b))
	if p == "" {
		return "", fmt.Errorf("passphrase file %s is empty; restore it from a backup or set %s", file, PassphraseEnv)
	}
	return p, nil
}

// newPassphrase generates one into file.
func newPassphrase(file string, getenv func(string) string, create bool) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generating passphrase: %w", err)
	}
	p := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(file), err)
	}
	// Written aside, then linked: two first runs racing keep one passphrase.
	f, err := os.CreateTemp(filepath.Dir(file), ".passphrase-*")
	if err != nil {
		return "", fmt.Errorf("writing passphrase: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(p + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("writing passphrase: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing passphrase: %w", err)
	}
	if err := os.Link(f.Name(), file); errors.Is(err, fs.ErrExist) {
		return Passphrase(file, getenv, create)
	} else if err != nil {
		return "", fmt.Errorf("writing passphrase: %w", err)
	}
	return p, nil
}
