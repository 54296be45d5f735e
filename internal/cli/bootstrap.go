package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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
	CloudInit      cloudInitFlags
}

func newBootstrapCmd(f *Factory) *cobra.Command {
	opts := &BootstrapOptions{}
	cmd := &cobra.Command{
		Use:   "bootstrap (--host user@address[:port]... | --local | --cloud-init)",
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
  mlforge bootstrap --local
  mlforge bootstrap --cloud-init --user ubuntu --authorized-key ~/.ssh/id_ed25519.pub > user-data.yaml`,
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
	opts.CloudInit.add(fl)
	return cmd
}

func bootstrapRun(ctx context.Context, f *Factory, opts *BootstrapOptions) error {
	if opts.CloudInit.Print {
		return cloudInitRun(f, opts)
	}
	hosts, bo, err := bootstrapPlan(opts, f.IO.CanPrompt())
	if err != nil {
		return err
	}
	if opts.Local && os.Geteuid() != 0 && f.IO.CanPrompt() {
		// Ask for the sudo password now, before the status line animates.
		sudo := exec.CommandContext(ctx, "sudo", "-v")
		sudo.Stdin, sudo.Stdout, sudo.Stderr = f.IO.In, f.IO.ErrOut, f.IO.ErrOut
		if err := sudo.Run(); err != nil {
			return errs.WithHint(fmt.Errorf("sudo -v: %w", err), "bootstrap --local needs root: run it as root or with a user that may use sudo")
		}
	}
	var results []*bootstrap.Result
	var failures []error
	if len(hosts) == 1 {
		res, err := bootstrap.RunOne(ctx, hosts[0], bo, ui.NewStatus(f.IO))
		results, failures = []*bootstrap.Result{res}, []error{err}
	} else {
		results, failures = bootstrap.RunMany(ctx, hosts, bo, ui.NewStatus(f.IO))
	}
	if err := printBootstrap(f, opts.JSON, results, failures); err != nil {
		return err
	}
	return bootstrapError(len(hosts), failures)
}

// bootstrapPlan validates the flags into hosts and script options.
func bootstrapPlan(opts *BootstrapOptions, interactive bool) ([]bootstrap.Host, bootstrap.Options, error) {
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
	bo, err := scriptOptions(opts)
	if err != nil {
		return nil, bo, usage("%v", err)
	}
	if opts.Identity != "" {
		if _, err := os.Stat(opts.Identity); err != nil {
			return nil, bo, usage("--identity %s: %v", opts.Identity, errors.Unwrap(err))
		}
	}
	if opts.Local {
		return []bootstrap.Host{{Interactive: interactive}}, bo, nil
	}
	hosts, err := sshHosts(opts)
	if err != nil {
		return nil, bo, usage("%v", err)
	}
	return hosts, bo, nil
}

// scriptOptions are the install script's options from the flags.
func scriptOptions(opts *BootstrapOptions) (bootstrap.Options, error) {
	channel, err := bootstrap.ParseChannel(opts.Channel)
	if err != nil {
		return bootstrap.Options{}, fmt.Errorf("--channel: %w", err)
	}
	if opts.LockTimeout <= 0 {
		return bootstrap.Options{}, fmt.Errorf("--lock-timeout %s must be positive", opts.LockTimeout)
	}
	bo := bootstrap.Options{Channel: channel, DockerVersion: opts.DockerVersion, ComposeVersion: opts.ComposeVersion, LockTimeout: opts.LockTimeout}
	return bo, bo.Validate()
}

// sshHosts parses the --host flags, each once.
func sshHosts(opts *BootstrapOptions) ([]bootstrap.Host, error) {
	seen := map[string]bool{}
	var hosts []bootstrap.Host
	for _, h := range opts.Hosts {
		so, err := sshx.Parse(h)
		if err != nil {
			return nil, fmt.Errorf("--host %w", err)
		}
		so.IdentityFile, so.KnownHostsFile, so.AcceptNew = opts.Identity, opts.KnownHosts, opts.AcceptNew
		if seen[so.Address()] {
			return nil, fmt.Errorf("--host %s is given twice", h)
		}
		seen[so.Address()] = true
		hosts = append(hosts, bootstrap.Host{SSH: &so})
	}
	return hosts, nil
}
