package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Client is a verified, authenticated SSH connection.
type Client struct {
	opts Options
	c    *ssh.Client
	stop chan struct{}
}

// Dial connects, verifying the host key and authenticating, and retries
// with backoff while the host refuses connections or times out (a machine
// still booting). Host key and authentication errors are not retried.
func Dial(ctx context.Context, o Options) (*Client, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	check, algos, err := hostKeyCheck(o)
	if err != nil {
		return nil, err
	}
	methods, tried, closeAgent, err := auth(o)
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	cfg := &ssh.ClientConfig{User: o.User, Auth: methods, HostKeyCallback: check,
		HostKeyAlgorithms: algos, Timeout: o.Timeout}
	wait := o.Backoff
	for attempt := 1; ; attempt++ {
		c, err := dialOnce(ctx, o, cfg)
		if err == nil {
			cl := &Client{opts: o, c: c, stop: make(chan struct{})}
			go cl.keepAlive()
			return cl, nil
		}
		var unknown *UnknownHostError
		var changed *HostKeyChangedError
		switch {
		case errors.As(err, &unknown):
			return nil, unknown
		case errors.As(err, &changed):
			return nil, changed
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, &AuthError{Host: o.Address(), Tried: tried, Err: err}
		case !transient(err) || attempt >= o.Attempts:
			return nil, fmt.Errorf("connecting to %s (attempt %d of %d): %w", o.Address(), attempt, o.Attempts, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to %s: %w (last error: %v)", o.Address(), ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func dialOnce(ctx context.Context, o Options, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: o.Timeout}
	conn, err := d.DialContext(ctx, "tcp", o.HostPort())
	if err != nil {
		return nil, err
	}
	// Bound the handshake: a host that accepts but never speaks must not hang us.
	_ = conn.SetDeadline(time.Now().Add(o.Timeout))
	sc, chans, reqs, err := ssh.NewClientConn(conn, o.HostPort(), cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// transient reports errors worth another attempt: the host is booting,
// sshd is not up yet, or the network hiccuped.
func transient(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.EOF), errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return strings.Contains(err.Error(), "handshake failed: EOF") || strings.Contains(err.Error(), "connection reset")
}

// keepAliveMisses is how many intervals a probe's reply may take before
// the connection is given up, as OpenSSH's ServerAliveCountMax (3): on a
// link saturated by an image stream, or a host under load, one reply can
// take longer than an interval without the network being dead.
const keepAliveMisses = 3

// keepAlive probes the server; a reply missing for keepAliveMisses
// intervals closes the connection so runs fail with an error instead of
// waiting on a dead network.
func (c *Client) keepAlive() {
	t := time.NewTicker(c.opts.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := c.c.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		select {
		case <-c.stop:
			return
		case err := <-reply:
			if err != nil {
				c.c.Close()
				return
			}
		case <-time.After(keepAliveMisses * c.opts.KeepAlive):
			c.c.Close()
			return
		}
	}
}

// Address returns "user@addr:port".
func (c *Client) Address() string { return c.opts.Address() }

// Run runs cmd through the login shell with the given streams (any may be
// nil) and waits for it. A non-zero exit returns an *ssh.ExitError; a
// dropped connection an error saying so. Cancelling ctx ends the session.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := c.c.NewSession()
	if err != nil {
		return fmt.Errorf("opening a session on %s: %w", c.Address(), err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	if stdout != nil && stdout == stderr {
		// Both streams are copied concurrently: one writer needs a lock.
		w := &syncWriter{w: stdout}
		s.Stdout, s.Stderr = w, w
	}
	if err := s.Start(cmd); err != nil {
		return fmt.Errorf("starting a command on %s: %w", c.Address(), err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGTERM)
		s.Close()
		return ctx.Err()
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) || errors.Is(err, io.EOF) {
		return fmt.Errorf("connection to %s lost before the command finished: %w", c.Address(), err)
	}
	return err
}

// Close closes the connection.
func (c *Client) Close() error {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	return c.c.Close()
}

// syncWriter serialises writes (and hides ReaderFrom, which io.Copy would
// otherwise call from two goroutines at once).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
