package sshx

import (
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestKnownAlgorithms: the client asks a host for the key type on record,
// so a host with several keys is checked against the recorded one.
func TestKnownAlgorithms(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(&rk.PublicKey)
	file := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize("example.test:2222")}, pub)
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, algos, err := hostKeyCheck(Options{Addr: "example.test", Port: 2222, KnownHostsFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(algos, ","); got != "rsa-sha2-512,rsa-sha2-256,ssh-rsa" {
		t.Errorf("known host algorithms = %s", got)
	}
	_, algos, _ = hostKeyCheck(Options{Addr: "other.test", Port: 22, KnownHostsFile: file})
	if algos[0] != ssh.KeyAlgoED25519 {
		t.Errorf("unknown host algorithms = %v, want ed25519 first", algos)
	}
}
