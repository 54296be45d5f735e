package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/awsapi"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

type fakeInstances struct {
	state   awsapi.InstanceState
	err     error
	console string
}

func (f fakeInstances) WaitRunning(ctx context.Context, id string, every time.Duration) (awsapi.InstanceState, error) {
	return f.state, f.err
}

func (f fakeInstances) ConsoleTail(ctx context.Context, id string, n int) (string, error) {
	return f.console, nil
}

// fakeShell answers commands by prefix with output and an error.
type fakeShell struct{ replies map[string]reply }

type reply struct {
	out string
	err error
}

func (s fakeShell) Run(ctx context.Context, cmd string, _ io.Reader, stdout, _ io.Writer) error {
	for prefix, r := range s.replies {
		if strings.HasPrefix(cmd, prefix) {
			if stdout != nil {
				io.WriteString(stdout, r.out)
			}
			return r.err
		}
	}
	return fmt.Errorf("unexpected command %q", cmd)
}

func (fakeShell) Close() error { return nil }

var healthy = map[string]reply{
	"cloud-init status": {out: "status: done\n"},
	"docker version":    {out: "26.1.5\n2.26.1\n"},
}

func waitFor(t *testing.T, inst Instances, dial func(context.Context, sshx.Options) (Shell, error)) (string, error) {
	t.Helper()
	w := &HostWait{
		Instance:  &Instance{InstanceID: "i-0abc", Port: 22, User: "ubuntu", KeyFile: "/k", HostKey: "ssh-ed25519 AAAA", HostKeyFingerprint: "SHA256:x"},
		Instances: inst, Dial: dial, Poll: time.Millisecond,
		Timeouts: Timeouts{Running: time.Second, SSH: 200 * time.Millisecond, CloudInit: time.Second, Docker: time.Second},
	}
	var buf bytes.Buffer
	err := pipeline.Run(context.Background(), ui.NewPlainStatus(&buf), w.Steps())
	if err == nil && w.Instance.Address != "198.51.100.10" {
		t.Errorf("address not taken from the instance: %q", w.Instance.Address)
	}
	return buf.String(), err
}

func TestHostWaitStages(t *testing.T) {
	running := fakeInstances{state: awsapi.InstanceState{State: "running", PublicIP: "198.51.100.10"}, console: "boot line 1\ncloud-init: running modules"}
	var dials atomic.Int32
	flaky := func(ctx context.Context, o sshx.Options) (Shell, error) {
		if o.HostKey != "ssh-ed25519 AAAA" || o.IdentityFile != "/k" {
			t.Errorf("dial without the pinned host key and environment key: %+v", o)
		}
		if dials.Add(1) < 3 {
			return nil, errors.New("connection refused")
		}
		return fakeShell{healthy}, nil
	}

	cases := []struct {
		name     string
		inst     fakeInstances
		dial     func(context.Context, sshx.Options) (Shell, error)
		wantErr  []string
		wantOut  []string
		failedAt string
	}{
		{name: "healthy after SSH retries", inst: running, dial: flaky,
			wantOut: []string{"✓ instance running", "✓ SSH reachable", "✓ cloud-init finished", "✓ Docker and Compose ready"}},
		{name: "instance terminated", inst: fakeInstances{err: errors.New("instance i-0abc is terminated: Server.InsufficientInstanceCapacity"), console: "last boot line"},
			wantErr: []string{"instance running: instance i-0abc is terminated: Server.InsufficientInstanceCapacity", "last console lines of i-0abc:\n  last boot line"}, failedAt: "✗ instance running"},
		{name: "ssh never answers", inst: running, dial: func(context.Context, sshx.Options) (Shell, error) { return nil, errors.New("i/o timeout") }},
		{name: "host key changed", inst: running, dial: func(context.Context, sshx.Options) (Shell, error) {
			return nil, &sshx.HostKeyChangedError{}
		}, wantErr: []string{"expected SHA256:x"}, failedAt: "✗ SSH reachable"},
		{name: "cloud-init error", inst: running, dial: func(context.Context, sshx.Options) (Shell, error) {
			return fakeShell{map[string]reply{
				"cloud-init status": {out: "status: error\n", err: errors.New("exit status 1")},
				"sudo -n tail":      {out: "E: Unable to locate package docker.io\n"},
			}}, nil
		}, wantErr: []string{"cloud-init did not finish", "status: error", "E: Unable to locate package docker.io"}, failedAt: "✗ cloud-init finished"},
		{name: "docker missing", inst: running, dial: func(context.Context, sshx.Options) (Shell, error) {
			return fakeShell{map[string]reply{
				"cloud-init status": {out: "status: done\n"},
				"docker version":    {out: "docker: command not found\n", err: errors.New("exit status 127")},
			}}, nil
		}, wantErr: []string{"docker is not usable by ubuntu", "docker: command not found"}, failedAt: "✗ Docker and Compose ready"},
	}
	cases[2].wantErr = []string{"SSH reachable with the pinned host key: gave up after 0.2s: no SSH on ubuntu@198.51.100.10:22: i/o timeout", "last console lines of i-0abc"}
	cases[2].failedAt = "✗ SSH reachable"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := waitFor(t, c.inst, c.dial)
			if (err != nil) != (len(c.wantErr) > 0) {
				t.Fatalf("err = %v\n%s", err, out)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, w := range append(c.wantOut, c.failedAt) {
				if !strings.Contains(out, w) {
					t.Errorf("status lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
