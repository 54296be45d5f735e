// Package sshx is mlforge's SSH client over golang.org/x/crypto/ssh: keys
// from ssh-agent or an identity file, host keys always verified (known_hosts
// or a pinned key; unknown hosts are refused unless accept-new, changed keys
// always), dial retries while a machine boots, and commands run with their
// streams attached. Bootstrap, deploys, tunnels and `mlforge ssh` share it.
package sshx

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Options says where to connect and how to trust and authenticate.
type Options struct {
	User string // login user
	Addr string // host name or IP address
	Port int    // 0 means 22

	// IdentityFile is a private key to offer. With none, keys come from
	// ssh-agent (SSH_AUTH_SOCK) and the default ~/.ssh/id_* files.
	IdentityFile string
	// KnownHostsFile defaults to ~/.ssh/known_hosts.
	KnownHostsFile string
	// AcceptNew records the key of a host not yet in KnownHostsFile
	// instead of refusing it. A changed key is always refused.
	AcceptNew bool
	// HostKey pins the host key ("ssh-ed25519 AAAA..."); when set,
	// known_hosts is not consulted.
	HostKey string

	// Timeout bounds each connection attempt (default 15s).
	Timeout time.Duration
	// Attempts is how many times to dial on transient errors such as
	// connection refused while a machine boots (default 6).
	Attempts int
	// Backoff is the first wait between attempts, doubling each time (default 1s).
	Backoff time.Duration
	// KeepAlive is the interval of keepalive probes; a connection whose
	// probe goes unanswered for three intervals is closed, so a cut
	// network fails runs instead of hanging (default 15s).
	KeepAlive time.Duration
}

// Address returns "user@addr:port" for messages.
func (o Options) Address() string {
	return o.User + "@" + o.HostPort()
}

// HostPort returns "addr:port".
func (o Options) HostPort() string {
	port := o.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(o.Addr, strconv.Itoa(port))
}

func (o Options) withDefaults() (Options, error) {
	if o.User == "" || o.Addr == "" {
		return o, fmt.Errorf("ssh: user and address are required (user@address[:port])")
	}
	if o.Port == 0 {
		o.Port = 22
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.KnownHostsFile == "" && o.HostKey == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return o, fmt.Errorf("finding ~/.ssh/known_hosts: %w (pass --known-hosts FILE)", err)
		}
		o.KnownHostsFile = filepath.Join(home, ".ssh", "known_hosts")
	}
	return o, nil
}
