package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

// Instance is what SSH needs to reach the machine provisioned for an
// environment, host key pinned from creation.
type Instance struct {
	InstanceID         string `json:"instanceId"`
	Address            string `json:"address"`
	Port               int    `json:"port"`
	User               string `json:"user"`
	KeyFile            string `json:"keyFile"`            // the environment's private key (0600)
	HostKey            string `json:"hostKey"`            // pinned host public key, authorized_keys format
	HostKeyFingerprint string `json:"hostKeyFingerprint"` // SHA256:...
}

// SSHOptions returns the sshx options that reach the host, host key pinned.
func (h Instance) SSHOptions() sshx.Options {
	return sshx.Options{User: h.User, Addr: h.Address, Port: h.Port, IdentityFile: h.KeyFile, HostKey: h.HostKey}
}

// Instances is the part of the EC2 API the wait needs (awsapi.Client).
type Instances interface {
	WaitRunning(ctx context.Context, id string, every time.Duration) (awsapi.InstanceState, error)
	ConsoleTail(ctx context.Context, id string, n int) (string, error)
}

// Shell runs commands on the host (an *sshx.Client).
type Shell interface {
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
	Close() error
}

// Timeouts bound each stage of the wait.
type Timeouts struct {
	Running, SSH, CloudInit, Docker time.Duration
}

// DefaultTimeouts suit a fresh Ubuntu host installing Docker from its mirror.
var DefaultTimeouts = Timeouts{Running: 5 * time.Minute, SSH: 5 * time.Minute, CloudInit: 15 * time.Minute, Docker: 2 * time.Minute}

// HostWait waits for a new host in stages, each with its own timeout and,
// when it fails, a diagnosis (the console output's tail, cloud-init's log).
type HostWait struct {
	Instance  *Instance
	Instances Instances
	// Dial opens an SSH connection (sshx.Dial by default).
	Dial     func(ctx context.Context, o sshx.Options) (Shell, error)
	Timeouts Timeouts
	// Poll is the interval between state checks (5s by default).
	Poll time.Duration
	// KeyDir, when set, is the environment's key directory: after cloud-init
	// the first-boot host key is replaced by one that never was in user data.
	KeyDir string
}

// Steps returns the stages as pipeline steps.
func (w *HostWait) Steps() []pipeline.Step {
	if w.Dial == nil {
		w.Dial = func(ctx context.Context, o sshx.Options) (Shell, error) { return sshx.Dial(ctx, o) }
	}
	if w.Poll <= 0 {
		w.Poll = 5 * time.Second
	}
	steps := []pipeline.Step{
		stage{"instance running", w.Timeouts.Running, w.running},
		stage{"SSH reachable with the pinned host key", w.Timeouts.SSH, w.ssh},
		stage{"cloud-init finished", w.Timeouts.CloudInit, w.cloudInit},
	}
	if w.KeyDir != "" {
		steps = append(steps, &RotateHostKey{Instance: w.Instance, KeyDir: w.KeyDir, Dial: w.Dial})
	}
	return append(steps, stage{"Docker and Compose ready", w.Timeouts.Docker, w.docker})
}

// stage is one bounded wait.
type stage struct {
	name    string
	timeout time.Duration
	run     func(ctx context.Context, r pipeline.Reporter) error
}

func (s stage) String() string { return s.name }

func (s stage) Run(ctx context.Context, r pipeline.Reporter) error {
	if s.timeout <= 0 {
		return s.run(ctx, r)
	}
	sctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.run(sctx, r)
	if err != nil && ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("gave up after %s: %w", ui.FormatDuration(s.timeout), err)
	}
	return err
}

func (w *HostWait) running(ctx context.Context, r pipeline.Reporter) error {
	r.Update(w.Instance.InstanceID)
	st, err := w.Instances.WaitRunning(ctx, w.Instance.InstanceID, w.Poll)
	if err != nil {
		return w.withConsole(err)
	}
	if w.Instance.Address == "" {
		w.Instance.Address = st.PublicIP
	}
	return nil
}

func (w *HostWait) ssh(ctx context.Context, r pipeline.Reporter) error {
	o := w.Instance.SSHOptions()
	r.Update(o.Address())
	var last error
	for {
		c, err := w.Dial(ctx, o)
		if err == nil {
			return c.Close()
		}
		var changed *sshx.HostKeyChangedError
		if errors.As(err, &changed) {
			// Never retried: the host is not the one mlforge created.
			return fmt.Errorf("%w (expected %s)", err, w.Instance.HostKeyFingerprint)
		}
		last = err
		select {
		case <-ctx.Done():
			return w.withConsole(fmt.Errorf("no SSH on %s: %v", o.Address(), last))
		case <-time.After(w.Poll):
		}
	}
}

func (w *HostWait) cloudInit(ctx context.Context, r pipeline.Reporter) error {
	c, err := w.Dial(ctx, w.Instance.SSHOptions())
	if err != nil {
		return err
	}
	defer c.Close()
	var out bytes.Buffer
	err = c.Run(ctx, "cloud-init status --wait --long", nil, &out, &out)
	if err == nil {
		return nil
	}
	status := strings.TrimSpace(out.String())
	var log bytes.Buffer
	lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = c.Run(lctx, "sudo -n tail -n 30 /var/log/cloud-init-output.log", nil, &log, &log)
	return fmt.Errorf("cloud-init did not finish: %v\n%s\nlast lines of /var/log/cloud-init-output.log:\n%s",
		err, ui.Indent(status, "  "), ui.Indent(strings.TrimSpace(log.String()), "  "))
}

func (w *HostWait) docker(ctx context.Context, r pipeline.Reporter) error {
	// A new connection: the login user joined the docker group during cloud-init.
	c, err := w.Dial(ctx, w.Instance.SSHOptions())
	if err != nil {
		return err
	}
	defer c.Close()
	var out bytes.Buffer
	cmd := "docker version --format '{{.Server.Version}}' && docker compose version --short"
	if err := c.Run(ctx, cmd, nil, &out, &out); err != nil {
		return fmt.Errorf("docker is not usable by %s: %v\n%s", w.Instance.User, err, ui.Indent(strings.TrimSpace(out.String()), "  "))
	}
	f := strings.Fields(out.String())
	if len(f) >= 2 {
		r.Update("engine " + f[0] + ", compose " + f[1])
	}
	return nil
}

// withConsole adds the tail of the instance's console output to err.
func (w *HostWait) withConsole(err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tail, cerr := w.Instances.ConsoleTail(ctx, w.Instance.InstanceID, 25)
	if cerr != nil || strings.TrimSpace(tail) == "" {
		return fmt.Errorf("%w (console output of %s not available yet)", err, w.Instance.InstanceID)
	}
	return fmt.Errorf("%w\nlast console lines of %s:\n%s", err, w.Instance.InstanceID, ui.Indent(tail, "  "))
}
