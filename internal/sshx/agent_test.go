package sshx_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
)

// serveAgent runs an in-process ssh-agent holding the key in identity and
// points SSH_AUTH_SOCK at it.
func serveAgent(t *testing.T, identity string) {
	t.Helper()
	keyring := agent.NewKeyring()
	if identity != "" {
		pem, err := os.ReadFile(identity)
		if err != nil {
			t.Fatal(err)
		}
		key, err := ssh.ParseRawPrivateKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
			t.Fatal(err)
		}
	} else {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		if err := keyring.Add(agent.AddedKey{PrivateKey: other}); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	t.Setenv("HOME", t.TempDir()) // no default ~/.ssh/id_* keys
}

// TestAgentAuth logs in with a key held only by ssh-agent, and names the
// agent when its keys are refused.
func TestAgentAuth(t *testing.T) {
	h := sshtest.Start(t, sshtest.Trixie)
	o := h.Options("root")
	o.IdentityFile = ""

	serveAgent(t, h.Identity)
	c, err := sshx.Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("login with the agent's key: %v", err)
	}
	c.Close()

	serveAgent(t, "")
	_, err = sshx.Dial(context.Background(), o)
	var ae *sshx.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "ssh-agent (1 keys)") {
		t.Fatalf("err = %v, want an authentication error naming the agent", err)
	}

	t.Setenv("SSH_AUTH_SOCK", "")
	_, err = sshx.Dial(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "no SSH key to offer: pass --identity FILE") {
		t.Fatalf("err = %v, want 'no SSH key to offer'", err)
	}
}
