package sshx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// AuthError is returned when the host refuses every key offered.
type AuthError struct {
	Host  string   // user@addr:port
	Tried []string // "identity FILE", "ssh-agent (N keys)"
	Err   error
}

func (e *AuthError) Error() string {
	tried := "no keys"
	if len(e.Tried) > 0 {
		tried = strings.Join(e.Tried, ", ")
	}
	return fmt.Sprintf("authentication to %s failed (tried %s): check the user name and that the key's public half is in the user's ~/.ssh/authorized_keys on the host", e.Host, tried)
}

func (e *AuthError) Unwrap() error { return e.Err }

// auth collects the signers to offer: the identity file if given, else the
// agent's keys and the default ~/.ssh/id_* files. It returns what was tried
// for error messages and a closer for the agent connection.
func auth(o Options) ([]ssh.AuthMethod, []string, func(), error) {
	var signers []ssh.Signer
	var tried []string
	closer := func() {}
	if o.IdentityFile != "" {
		s, err := loadIdentity(o.IdentityFile)
		if err != nil {
			return nil, nil, closer, err
		}
		signers = append(signers, s)
		tried = append(tried, "identity "+o.IdentityFile)
	} else {
		if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
			conn, err := net.Dial("unix", sock)
			if err != nil {
				return nil, nil, closer, fmt.Errorf("connecting to ssh-agent at SSH_AUTH_SOCK=%s: %w", sock, err)
			}
			closer = func() { conn.Close() }
			as, err := agent.NewClient(conn).Signers()
			if err != nil {
				closer()
				return nil, nil, func() {}, fmt.Errorf("listing ssh-agent keys: %w", err)
			}
			signers = append(signers, as...)
			tried = append(tried, fmt.Sprintf("ssh-agent (%d keys)", len(as)))
		}
		for _, f := range defaultIdentities() {
			if s, err := loadIdentity(f); err == nil {
				signers = append(signers, s)
				tried = append(tried, "identity "+f)
			}
		}
	}
	if len(signers) == 0 {
		closer()
		return nil, nil, func() {}, errors.New("no SSH key to offer: pass --identity FILE, or load a key into ssh-agent (SSH_AUTH_SOCK is not set or the agent is empty)")
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, tried, closer, nil
}

func loadIdentity(file string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading identity %s: %w", file, err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var pp *ssh.PassphraseMissingError
	if errors.As(err, &pp) {
		return nil, fmt.Errorf("identity %s is protected by a passphrase: add it to ssh-agent (ssh-add %s) and run without --identity", file, file)
	}
	if err != nil {
		return nil, fmt.Errorf("identity %s is not a private key: %w", file, err)
	}
	return s, nil
}

func defaultIdentities() []string {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		p := filepath.Join(home, ".ssh", n)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
