package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

// BootstrapOptions are the inputs of `mlforge bootstrap`.
type BootstrapOptions struct {
	Hosts          []string
	Local          bool
	Identity       string
	KnownHosts     string
	AcceptNew      bool
	Channel        string
	DockerVersion  string
	ComposeVersion string
	LockTimeout    time.Duration
	JSON           bool
}

func newBootstrapCmd(f *Factory) *cobra.Command {
	opts := &BootstrapOptions{}
	cmd := &cobra.Command{
		Use:   "bootstrap (--host user@address[:port]... | --local)",
		Short: "Install Docker Engine and Compose v2 on hosts over SSH, or on this machine",
		Long: `Install Docker Engine and Compose v2 with one script that detects the OS
(Ubuntu 22.04/24.04, Debian 12/13, Amazon Linux 2023), waits for cloud-init
and package locks, installs from the distribution's packages where they
include Compose v2 (Docker's repository otherwise, or with --channel
docker-ce), starts the daemon, adds the login user to the docker group and
verifies with a container built on the spot. Running it again on a ready
host changes nothing.

Host keys are always checked against ~/.ssh/known_hosts (or --known-hosts);
a host not yet known is refused with its fingerprint unless --accept-new.
Non-root users need passwordless sudo. Several --host flags run at once.`,
		Example: `  mlforge bootstrap --host ubuntu@203.0.113.7 --identity ~/.ssh/lab.pem
  mlforge bootstrap --host admin@10.0.0.5:2222 --host admin@10.0.0.6 --accept-new
  mlforge bootstrap --local`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return bootstrapRun(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Hosts, "host", nil, "host to bootstrap over SSH, user@address[:port] (repeatable)")
	fl.BoolVar(&opts.Local, "local", false, "bootstrap this machine (with sudo when not root)")
	fl.StringVarP(&opts.Identity, "identity", "i", "", "private key file to log in with (default: ssh-agent and ~/.ssh/id_*)")
	fl.StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts file (default ~/.ssh/known_hosts)")
	fl.BoolVar(&opts.AcceptNew, "accept-new", false, "trust and record the key of hosts not yet in known_hosts (changed keys are still refused)")
	fl.StringVar(&opts.Channel, "channel", "", "where Docker comes from: distro or docker-ce (default: distro where it has Compose v2, else docker-ce)")
	fl.StringVar(&opts.DockerVersion, "docker-version", "", "pin the Docker Engine version, e.g. 26.1 or 27.3.1")
	fl.StringVar(&opts.ComposeVersion, "compose-version", "", "pin the Compose version, e.g. 2.29")
	fl.DurationVar(&opts.LockTimeout, "lock-timeout", bootstrap.DefaultLockTimeout, "how long to wait for cloud-init and apt/dpkg locks")
	fl.BoolVar(&opts.JSON, "json", false, "print the results as JSON")
	return cmd
}

// bootstrapTarget is one host to bootstrap, with how to reach it.
type bootstrapTarget struct {
	name string
	ssh  *sshx.Options // nil for this machine
}

func bootstrapRun(ctx context.Context, f *Factory, opts *BootstrapOptions) error {
	targets, bo, err := bootstrapPlan(opts)
	if err != nil {
		return err
	}
	results := make([]*bootstrap.Result, len(targets))
	errsByHost := make([]error, len(targets))
	if opts.Local && os.Geteuid() != 0 && f.IO.CanPrompt() {
		// Ask for the sudo password now, before the status line animates.
		sudo := exec.CommandContext(ctx, "sudo", "-v")
		sudo.Stdin, sudo.Stdout, sudo.Stderr = f.IO.In, f.IO.ErrOut, f.IO.ErrOut
		if err := sudo.Run(); err != nil {
			return errs.WithHint(fmt.Errorf("sudo -v: %w", err), "bootstrap --local needs root: run it as root or with a user that may use sudo")
		}
	}
	if len(targets) == 1 {
		results[0], errsByHost[0] = bootstrapOne(ctx, targets[0], bo, f.IO.CanPrompt(), ui.NewStatus(f.IO))
	} else {
		bootstrapMany(ctx, f, targets, bo, results, errsByHost)
	}
	if opts.JSON {
		if err := writeJSON(f.IO.Out, map[string]any{"hosts": results}); err != nil {
			return err
		}
	} else {
		rows := [][]string{{"HOST", "OS", "DOCKER", "COMPOSE", "RESULT"}}
		for i, r := range results {
			state := "unchanged"
			switch {
			case errsByHost[i] != nil:
				state = "failed"
			case r.Changed:
				state = "changed"
			}
			rows = append(rows, []string{r.Host, r.OS, r.Docker, r.Compose, state})
		}
		ui.Table(f.IO.Out, rows)
	}
	return bootstrapError(targets, errsByHost)
}

// bootstrapPlan validates the flags into targets and script options.
func bootstrapPlan(opts *BootstrapOptions) ([]bootstrapTarget, bootstrap.Options, error) {
	usage := func(format string, a ...any) error {
		return errs.WithHint(errs.Usage(fmt.Errorf(format, a...)), "run 'mlforge bootstrap --help' for the flags")
	}
	var bo bootstrap.Options
	switch {
	case len(opts.Hosts) == 0 && !opts.Local:
		return nil, bo, usage("mlforge bootstrap needs --host user@address[:port] (repeatable) or --local")
	case len(opts.Hosts) > 0 && opts.Local:
		return nil, bo, usage("--host and --local cannot be combined: bootstrap remote hosts and this machine in separate runs")
	case opts.Local && (opts.Identity != "" || opts.KnownHosts != "" || opts.AcceptNew):
		return nil, bo, usage("--identity, --known-hosts and --accept-new apply to --host only, not --local")
	}
	channel, err := bootstrap.ParseChannel(opts.Channel)
	if err != nil {
		return nil, bo, usage("--channel: %v", err)
	}
	if opts.LockTimeout <= 0 {
		return nil, bo, usage("--lock-timeout %s must be positive", opts.LockTimeout)
	}
	bo = bootstrap.Options{Channel: channel, DockerVersion: opts.DockerVersion, ComposeVersion: opts.ComposeVersion, LockTimeout: opts.LockTimeout}
	if err := bo.Validate(); err != nil {
		return nil, bo, usage("%v", err)
	}
	if opts.Identity != "" {
		if _, err := os.Stat(opts.Identity); err != nil {
			return nil, bo, usage("--identity %s: %v", opts.Identity, errors.Unwrap(err))
		}
	}
	if opts.Local {
		return []bootstrapTarget{{name: bootstrap.LocalRunner{}.Target()}}, bo, nil
	}
	seen := map[string]bool{}
	var targets []bootstrapTarget
	for _, h := range opts.Hosts {
		so, err := sshx.Parse(h)
		if err != nil {
			return nil, bo, usage("--host %v", err)
		}
		so.IdentityFile, so.KnownHostsFile, so.AcceptNew = opts.Identity, opts.KnownHosts, opts.AcceptNew
		if seen[so.Address()] {
			return nil, bo, usage("--host %s is given twice", h)
		}
		seen[so.Address()] = true
		targets = append(targets, bootstrapTarget{name: so.Address(), ssh: &so})
	}
	return targets, bo, nil
}

// bootstrapOne connects to one target and runs the script there.
func bootstrapOne(ctx context.Context, t bootstrapTarget, bo bootstrap.Options, interactive bool, st bootstrap.Reporter) (*bootstrap.Result, error) {
	if t.ssh == nil {
		res, err := bootstrap.Run(ctx, bootstrap.LocalRunner{Interactive: interactive}, bo, st)
		return orEmpty(res, t.name), err
	}
	st.Start("connect to " + t.name)
	c, err := sshx.Dial(ctx, *t.ssh)
	st.End(err)
	if err != nil {
		err = fmt.Errorf("%s: %w", t.name, err)
		return &bootstrap.Result{Host: t.name, Error: err.Error()}, err
	}
	defer c.Close()
	res, err := bootstrap.Run(ctx, bootstrap.SSHRunner{Client: c}, bo, st)
	return orEmpty(res, t.name), err
}

func orEmpty(res *bootstrap.Result, name string) *bootstrap.Result {
	if res == nil {
		return &bootstrap.Result{Host: name}
	}
	return res
}

// bootstrapMany runs targets concurrently; each host's status block is
// printed whole when it finishes, under one line of overall progress.
func bootstrapMany(ctx context.Context, f *Factory, targets []bootstrapTarget, bo bootstrap.Options, results []*bootstrap.Result, errsByHost []error) {
	overall := ui.NewStatus(f.IO)
	overall.Start(fmt.Sprintf("bootstrap %d hosts", len(targets)))
	var mu sync.Mutex
	finished := 0
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var block bytes.Buffer
			st := &hostStatus{Status: ui.NewPlainStatus(&block), onStart: func(step string) {
				mu.Lock()
				defer mu.Unlock()
				overall.Update(fmt.Sprintf("%d of %d done; %s: %s", finished, len(targets), t.name, step))
			}}
			results[i], errsByHost[i] = bootstrapOne(ctx, t, bo, false, st)
			mu.Lock()
			defer mu.Unlock()
			finished++
			overall.Println(t.name + ":\n" + strings.TrimRight(block.String(), "\n"))
			overall.Update(fmt.Sprintf("%d of %d done", finished, len(targets)))
		}()
	}
	wg.Wait()
	failed := 0
	for _, err := range errsByHost {
		if err != nil {
			failed++
		}
	}
	if failed > 0 {
		overall.End(fmt.Errorf("%d failed", failed))
		return
	}
	overall.End(nil)
}

// hostStatus renders one host's block and reports each step it starts to
// the overall progress line.
type hostStatus struct {
	*ui.Status
	onStart func(step string)
}

func (h *hostStatus) Start(step string) {
	h.Status.Start(step)
	h.onStart(step)
}

// bootstrapError combines per-host errors, with a hint for the next step.
func bootstrapError(targets []bootstrapTarget, errsByHost []error) error {
	var failed []error
	for _, err := range errsByHost {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	err := failed[0]
	if len(targets) > 1 {
		lines := make([]string, len(failed))
		for i, e := range failed {
			lines[i] = "  " + strings.ReplaceAll(e.Error(), "\n", "\n  ")
		}
		err = fmt.Errorf("bootstrap failed on %d of %d hosts:\n%s", len(failed), len(targets), strings.Join(lines, "\n"))
	}
	return errs.WithHint(err, bootstrapHint(failed[0]))
}

func bootstrapHint(err error) string {
	var unknown *sshx.UnknownHostError
	var changed *sshx.HostKeyChangedError
	var auth *sshx.AuthError
	switch {
	case errors.As(err, &unknown):
		return "compare the fingerprint with the host's own (cloud console or ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it), then re-run with --accept-new"
	case errors.As(err, &changed):
		return "do not continue unless you know why the key changed (a rebuilt machine); then remove the old key and re-run"
	case errors.As(err, &auth):
		return "pass --identity FILE with the key the host accepts, or load it into ssh-agent"
	case errors.Is(err, sshx.ErrSudoPassword), errors.Is(err, sshx.ErrNoSudo):
		return "bootstrap needs root: log in as root or give the user passwordless sudo"
	}
	return "fix the cause above and run the same command again: bootstrap skips what is already done"
}
