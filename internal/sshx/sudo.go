package sshx

import (
	"errors"
	"strings"
)

// ErrSudoPassword means the user is not root and sudo asks for a password,
// which a non-interactive run cannot give.
var ErrSudoPassword = errors.New("sudo needs a password: allow passwordless sudo for this user (NOPASSWD in /etc/sudoers.d) or connect as root")

// ErrNoSudo means the user is not root and sudo is not installed.
var ErrNoSudo = errors.New("the user is not root and sudo is not installed: install sudo or connect as root")

// noSudoMarker is printed by Sudo's wrapper when sudo is missing.
const noSudoMarker = "mlforge: sudo is not installed"

// Sudo wraps a simple command (a program and its arguments) so it runs as
// root: directly when the login user is root, with `sudo -n` otherwise
// (never prompting). SudoError recognises the wrapper's failures.
func Sudo(cmd string) string {
	return `if [ "$(id -u)" -eq 0 ]; then ` + cmd +
		`; elif command -v sudo >/dev/null 2>&1; then sudo -n ` + cmd +
		`; else echo '` + noSudoMarker + `' >&2; exit 126; fi`
}

// SudoError returns ErrSudoPassword or ErrNoSudo when stderr from a Sudo
// command shows sudo refused to run it, nil otherwise.
func SudoError(stderr string) error {
	switch {
	case strings.Contains(stderr, noSudoMarker):
		return ErrNoSudo
	case strings.Contains(stderr, "sudo: a password is required"),
		strings.Contains(stderr, "sudo: a terminal is required"):
		return ErrSudoPassword
	}
	return nil
}

// SudoPrompting is Sudo for an interactive terminal: sudo may ask for the
// password (on the terminal, not stdin, so stdin can still carry a script).
func SudoPrompting(cmd string) string {
	return `if [ "$(id -u)" -eq 0 ]; then ` + cmd +
		`; elif command -v sudo >/dev/null 2>&1; then sudo ` + cmd +
		`; else echo '` + noSudoMarker + `' >&2; exit 126; fi`
}
