package bootstrap

import (
	_ "embed"
	"strings"

	"golang.org/x/crypto/ssh"
)

//go:embed install.sh
var installScript string

// Script returns the embedded install script.
func Script() string { return installScript }

// Command returns the shell command that runs the script, read from stdin,
// with opts; the caller adds sudo when needed.
func Command(opts Options) string {
	return strings.Join(append([]string{"sh", "-s", "--"}, opts.Args()...), " ")
}

func parseAuthorizedKey(k string) (ssh.PublicKey, string, []string, []byte, error) {
	return ssh.ParseAuthorizedKey([]byte(k))
}
