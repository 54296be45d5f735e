package sshx

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"
)

// Shell opens an interactive login shell (or runs command) on the host.
// When in is a terminal it is put in raw mode and the host gets a PTY of
// the same size, as with ssh(1).
func (c *Client) Shell(ctx context.Context, in *os.File, out, errOut io.Writer, command string) error {
	s, err := c.c.NewSession()
	if err != nil {
		return fmt.Errorf("opening a session on %s: %w", c.Address(), err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = in, out, errOut
	fd := int(in.Fd())
	if term.IsTerminal(fd) {
		w, h, err := term.GetSize(fd)
		if err != nil {
			w, h = 80, 24
		}
		termName := os.Getenv("TERM")
		if termName == "" {
			termName = "xterm-256color"
		}
		if err := s.RequestPty(termName, h, w, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
			return fmt.Errorf("requesting a terminal on %s: %w", c.Address(), err)
		}
		state, err := term.MakeRaw(fd)
		if err != nil {
			return err
		}
		defer term.Restore(fd, state)
	}
	if command == "" {
		err = s.Shell()
	} else {
		err = s.Start(command)
	}
	if err != nil {
		return fmt.Errorf("starting a shell on %s: %w", c.Address(), err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
