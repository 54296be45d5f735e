package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// DialContext opens a connection from the host to addr ("tcp" to a host
// port such as 127.0.0.1:9696, or "unix" to a socket such as
// /var/run/docker.sock): the Docker API and the stack's ports are reached
// this way, never exposed on the network.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		conn, err := c.c.Dial(network, addr)
		ch <- result{conn, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("opening %s %s on %s: %w", network, addr, c.Address(), r.err)
		}
		return r.conn, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Forward accepts connections on l and forwards each to remote (a TCP
// address seen from the host) until ctx ends or l is closed.
func (c *Client) Forward(ctx context.Context, l net.Listener, remote string) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		local, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer local.Close()
			up, err := c.DialContext(ctx, "tcp", remote)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, local); done <- struct{}{} }()
			go func() { io.Copy(local, up); done <- struct{}{} }()
			select {
			case <-done:
			case <-ctx.Done():
			}
		}()
	}
}

// Listen asks the host to listen on addr (on its side) and returns a
// listener whose connections are carried back over SSH, as ssh -R does.
func (c *Client) Listen(network, addr string) (net.Listener, error) {
	l, err := c.c.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s %s on %s: %w", network, addr, c.Address(), err)
	}
	return l, nil
}
