// Package stack runs a project's compose stack: preflight checks, content-
// addressed image builds, health-gated start, the training job, endpoints,
// status, logs, one-shot jobs and teardown. It drives `docker compose`
// through the Compose interface and the engine through Engine, so the same
// steps serve local Docker and, over SSH, a remote host.
package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Compose runs `docker compose` subcommands for one project.
type Compose interface {
	// Run runs `docker compose <args>`; output goes to stdout/stderr.
	Run(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// ExecCompose runs the local docker CLI's compose plugin in a project
// directory, with the project's files, name and environment.
type ExecCompose struct {
	Dir     string   // project directory
	Files   []string // compose files, relative to Dir
	Project string   // compose project name
	Env     []string // extra KEY=VALUE for interpolation
	// EnvFile is the project's env file (compose.envFile) when it is not
	// compose's own default, .env.
	EnvFile string
}

// Run implements Compose. A cancelled context interrupts compose with
// SIGINT (as Ctrl-C would), giving it time to stop what it started.
func (c *ExecCompose) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	full := []string{"compose", "--project-name", c.Project, "--project-directory", c.Dir}
	for _, f := range c.Files {
		full = append(full, "--file", f)
	}
	if c.EnvFile != "" {
		full = append(full, "--env-file", c.EnvFile)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "docker", full...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("docker compose %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// EnvFileArg is compose.envFile as compose needs it: "" for compose's own
// default (.env in the project directory).
func EnvFileArg(envFile string) string {
	if envFile == DefaultEnvFile {
		return ""
	}
	return envFile
}

// DefaultEnvFile is the env file compose reads without --env-file.
const DefaultEnvFile = ".env"

// capture runs compose and returns stdout, with stderr folded into the
// error when it fails.
func capture(ctx context.Context, c Compose, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	if err := c.Run(ctx, args, &out, &errOut); err != nil {
		if msg := strings.TrimSpace(errOut.String()); msg != "" {
			return out.Bytes(), fmt.Errorf("%w\n%s", err, msg)
		}
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

// LogsArgs are the compose arguments of `mlforge logs`.
func LogsArgs(services []string, follow bool, since string, lines int) []string {
	args := []string{"logs", "--no-color"}
	if follow {
		args = append(args, "--follow")
	}
	if since != "" {
		args = append(args, "--since", since)
	}
	if lines > 0 {
		args = append(args, "--tail", fmt.Sprint(lines))
	}
	return append(args, services...)
}

// RunArgs are the compose arguments running a one-shot job service. No
// --profile: compose enables the profile of a service named on the command
// line, and enabling every profile would pull images of unrelated ones.
func RunArgs(service string) []string {
	return []string{"run", "--rm", "--no-TTY", service}
}
