package sshx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

func fingerprint(t *testing.T, authorizedKey string) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

func run(t *testing.T, c *sshx.Client, cmd string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := c.Run(context.Background(), cmd, nil, &out, &errb)
	return out.String(), errb.String(), err
}

// TestClient exercises one real sshd host: streams, exit codes, host key
// verification in all its cases, authentication errors and sudo.
func TestClient(t *testing.T) {
	t.Parallel()
	h := sshtest.Start(t, sshtest.Trixie)
	ctx := context.Background()

	t.Run("streams and exit status", func(t *testing.T) {
		c, err := sshx.Dial(ctx, h.Options("root"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var out, errb bytes.Buffer
		err = c.Run(ctx, "cat; echo to-stderr >&2; exit 3", strings.NewReader("from-stdin\n"), &out, &errb)
		var exit *ssh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 3 {
			t.Fatalf("err = %v, want exit status 3", err)
		}
		if out.String() != "from-stdin\n" || errb.String() != "to-stderr\n" {
			t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
		}
	})

	t.Run("one writer for both streams keeps all output", func(t *testing.T) {
		c, err := sshx.Dial(ctx, h.Options("root"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := 0; i < 20; i++ {
			var both bytes.Buffer
			if err := c.Run(ctx, "echo out; echo err >&2", nil, &both, &both); err != nil {
				t.Fatal(err)
			}
			if got := both.String(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
				t.Fatalf("run %d: combined output %q lost a stream", i, got)
			}
		}
	})

	t.Run("cancel ends a running command", func(t *testing.T) {
		c, err := sshx.Dial(ctx, h.Options("root"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		err = c.Run(cctx, "sleep 30", nil, io.Discard, io.Discard)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
	})

	t.Run("unknown host refused, then accepted and recorded", func(t *testing.T) {
		o := h.Options("root")
		o.KnownHostsFile = filepath.Join(t.TempDir(), "sub", "known_hosts")
		_, err := sshx.Dial(ctx, o)
		var unknown *sshx.UnknownHostError
		if !errors.As(err, &unknown) {
			t.Fatalf("err = %v, want UnknownHostError", err)
		}
		if want := fingerprint(t, h.HostKey); unknown.Fingerprint != want || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--accept-new") {
			t.Fatalf("error %q should name fingerprint %s and --accept-new", err, want)
		}
		if b, _ := os.ReadFile(o.KnownHostsFile); len(b) != 0 {
			t.Fatalf("refused host was recorded: %q", b)
		}
		o.AcceptNew = true
		c, err := sshx.Dial(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		b, _ := os.ReadFile(o.KnownHostsFile)
		if strings.TrimSpace(string(b)) != h.KnownHostsLine() {
			t.Fatalf("known_hosts = %q, want %q", b, h.KnownHostsLine())
		}
		o.AcceptNew = false // now known
		c, err = sshx.Dial(ctx, o)
		if err != nil {
			t.Fatalf("recorded host refused: %v", err)
		}
		c.Close()
	})

	other, err := bootstrap.GenerateHostKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("changed host key refused with both fingerprints", func(t *testing.T) {
		o := h.Options("root")
		o.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
		line := strings.Replace(h.KnownHostsLine(), h.HostKey, other.Public, 1)
		if err := os.WriteFile(o.KnownHostsFile, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, accept := range []bool{false, true} {
			o.AcceptNew = accept
			_, err := sshx.Dial(ctx, o)
			var changed *sshx.HostKeyChangedError
			if !errors.As(err, &changed) {
				t.Fatalf("accept-new=%v: err = %v, want HostKeyChangedError", accept, err)
			}
			for _, fp := range []string{fingerprint(t, h.HostKey), fingerprint(t, other.Public), "ssh-keygen -R"} {
				if !strings.Contains(err.Error(), fp) {
					t.Errorf("error %q lacks %s", err, fp)
				}
			}
		}
	})

	t.Run("pinned host key", func(t *testing.T) {
		o := h.Options("root")
		o.KnownHostsFile, o.HostKey = "", h.HostKey
		c, err := sshx.Dial(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		o.HostKey = other.Public
		_, err = sshx.Dial(ctx, o)
		var changed *sshx.HostKeyChangedError
		if !errors.As(err, &changed) || !strings.Contains(err.Error(), "(pinned)") {
			t.Fatalf("err = %v, want a pinned-key mismatch", err)
		}
	})

	t.Run("wrong key or user names the identity tried", func(t *testing.T) {
		wrong := filepath.Join(t.TempDir(), "wrong_key")
		if err := os.WriteFile(wrong, []byte(other.PrivatePEM), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ user, identity string }{{"root", wrong}, {"nobody-here", h.Identity}} {
			o := h.Options(tc.user)
			o.IdentityFile = tc.identity
			_, err := sshx.Dial(ctx, o)
			var ae *sshx.AuthError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), "identity "+tc.identity) || !strings.Contains(err.Error(), tc.user+"@") {
				t.Fatalf("err = %v, want an authentication error naming %s and %s", err, tc.user, tc.identity)
			}
		}
	})

	t.Run("sudo", func(t *testing.T) {
		for _, tc := range []struct {
			user string
			want error
		}{{"root", nil}, {sshtest.SudoUser, nil}, {sshtest.PasswordUser, sshx.ErrSudoPassword}} {
			c, err := sshx.Dial(ctx, h.Options(tc.user))
			if err != nil {
				t.Fatal(err)
			}
			out, errOut, err := run(t, c, sshx.Sudo("id -u"))
			c.Close()
			if tc.want != nil {
				if err == nil || sshx.SudoError(errOut) != tc.want {
					t.Errorf("%s: err=%v stderr=%q, want %v", tc.user, err, errOut, tc.want)
				}
				continue
			}
			if err != nil || strings.TrimSpace(out) != "0" {
				t.Errorf("%s: sudo id -u = %q, %v (stderr %q)", tc.user, out, err, errOut)
			}
		}
	})

	t.Run("dial retries while the host refuses connections", func(t *testing.T) {
		port := testenv.FreePort(t)
		// Nothing listens yet: the first attempts are refused, as while a machine boots.
		go func() {
			time.Sleep(700 * time.Millisecond)
			forward(t, port, h.Port)
		}()
		o := h.Options("root")
		o.Port, o.Attempts, o.Backoff = port, 5, 300*time.Millisecond
		o.HostKey, o.KnownHostsFile = h.HostKey, ""
		c, err := sshx.Dial(ctx, o)
		if err != nil {
			t.Fatalf("dial did not retry into success: %v", err)
		}
		c.Close()

		o.Port, o.Attempts, o.Backoff = testenv.FreePort(t), 2, 10*time.Millisecond
		_, err = sshx.Dial(ctx, o)
		if err == nil || !strings.Contains(err.Error(), "attempt 2 of 2") || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("err = %v, want connection refused after 2 attempts", err)
		}
	})
}

// forward accepts on 127.0.0.1:from and relays each connection to 127.0.0.1:to.
func forward(t *testing.T, from, to int) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(from)))
	if err != nil {
		t.Error(err)
		return
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(to)))
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func itoa(n int) string { return strconv.Itoa(n) }
