package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/mlforge/mlforge/internal/sshx"
)

// Runner runs a shell command on a host: over SSH or on this machine.
// Every path of the bootstrap goes through it, so tests can fake it.
type Runner interface {
	// Target names the host in messages ("ubuntu@203.0.113.7:22").
	Target() string
	// Run runs cmd with sh-compatible syntax and the given streams.
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
	// AsRoot wraps a simple command so it runs as root.
	AsRoot(cmd string) string
}

// SSHRunner runs commands on a host through an sshx client, as root via
// `sudo -n` when the login user is not root.
type SSHRunner struct{ Client *sshx.Client }

// Target implements Runner.
func (r SSHRunner) Target() string { return r.Client.Address() }

// Run implements Runner.
func (r SSHRunner) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	return r.Client.Run(ctx, cmd, stdin, stdout, stderr)
}

// AsRoot implements Runner.
func (r SSHRunner) AsRoot(cmd string) string { return sshx.Sudo(cmd) }

// LocalRunner runs commands on this machine with /bin/sh, through sudo
// when not root; sudo may ask for a password on the terminal when
// Interactive is set, and must not otherwise.
type LocalRunner struct{ Interactive bool }

// Target implements Runner.
func (LocalRunner) Target() string { return "this machine" }

// Run implements Runner.
func (LocalRunner) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
	err := c.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("exit status %d", exit.ExitCode())
	}
	return err
}

// AsRoot implements Runner.
func (r LocalRunner) AsRoot(cmd string) string {
	if os.Geteuid() == 0 {
		return cmd
	}
	if r.Interactive {
		return sshx.SudoPrompting(cmd)
	}
	return sshx.Sudo(cmd)
}
