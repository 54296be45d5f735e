package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/sshx"
)

// fakeRunner replays canned output and records what it was asked to run.
type fakeRunner struct {
	stdout, stderr string
	err            error
	cmd, stdin     string
}

func (f *fakeRunner) Target() string           { return "ubuntu@203.0.113.7:22" }
func (f *fakeRunner) AsRoot(cmd string) string { return "sudo -n " + cmd }
func (f *fakeRunner) Run(_ context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	f.cmd = cmd
	b, _ := io.ReadAll(stdin)
	f.stdin = string(b)
	io.WriteString(stdout, f.stdout)
	io.WriteString(stderr, f.stderr)
	return f.err
}

// fakeReporter records renderer calls as lines.
type fakeReporter struct{ calls []string }

func (r *fakeReporter) Start(s string)   { r.calls = append(r.calls, "start "+s) }
func (r *fakeReporter) Update(d string)  { r.calls = append(r.calls, "update "+d) }
func (r *fakeReporter) End(err error)    { r.calls = append(r.calls, fmt.Sprintf("end %v", err)) }
func (r *fakeReporter) Skip(s string)    { r.calls = append(r.calls, "skip "+s) }
func (r *fakeReporter) Println(s string) { r.calls = append(r.calls, "println "+s) }

const freshOutput = `::mlforge step os detect the OS
::mlforge result os debian 13
::mlforge result channel distro
::mlforge done os Debian GNU/Linux 13 (trixie), distro packages
::mlforge step engine Docker Engine
::mlforge detail apt-get update
Get:1 http://deb.debian.org/debian trixie InRelease
::mlforge done engine installed 26.1.5 (distro)
::mlforge step compose Compose v2
::mlforge skip compose already installed 2.26.1
::mlforge step verify verify
::mlforge result docker 26.1.5
::mlforge result compose 2.26.1
::mlforge done verify docker 26.1.5 and compose 2.26.1 answer; a container runs
`

func TestRunReportsStepsAndResult(t *testing.T) {
	f := &fakeRunner{stdout: freshOutput}
	rep := &fakeReporter{}
	res, err := Run(context.Background(), f, Options{Channel: ChannelDistro, User: "ubuntu"}, rep)
	if err != nil {
		t.Fatal(err)
	}
	if f.cmd != "sudo -n sh -s -- --channel distro --user ubuntu" || f.stdin != Script() {
		t.Errorf("ran %q with %d bytes of stdin, want the script through sudo", f.cmd, len(f.stdin))
	}
	if res.OS != "debian 13" || res.Docker != "26.1.5" || res.Compose != "2.26.1" || res.Channel != "distro" || !res.Changed {
		t.Errorf("result = %+v", res)
	}
	want := []string{"start detect the OS", "end <nil>", "println    Debian GNU/Linux 13 (trixie), distro packages",
		"start Docker Engine", "update apt-get update", "end <nil>", "println    installed 26.1.5 (distro)",
		"start Compose v2", "skip already installed 2.26.1",
		"start verify", "end <nil>", "println    docker 26.1.5 and compose 2.26.1 answer; a container runs"}
	if strings.Join(rep.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("renderer calls:\n%s\nwant:\n%s", strings.Join(rep.calls, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Steps) != 4 || res.Steps[2].Status != "skipped" || res.Steps[1].Status != "done" {
		t.Errorf("steps = %+v", res.Steps)
	}
}

func TestRunUnchangedHost(t *testing.T) {
	out := strings.Replace(freshOutput, "::mlforge done engine installed 26.1.5 (distro)", "::mlforge skip engine already installed 26.1.5", 1)
	res, err := Run(context.Background(), &fakeRunner{stdout: out}, Options{}, &fakeReporter{})
	if err != nil || res.Changed {
		t.Fatalf("changed=%v err=%v, want an unchanged host", res.Changed, err)
	}
}

func TestRunFailures(t *testing.T) {
	exit1 := errors.New("Process exited with status 1")
	tests := []struct {
		name string
		f    fakeRunner
		want []string
		is   error
	}{
		{"failed step shows its output", fakeRunner{err: exit1, stdout: "::mlforge step engine Docker Engine\n::mlforge detail apt-get install docker.io\nE: Unable to locate package docker.io\n::mlforge fail engine apt-get install docker.io failed (see the output above)\n"},
			[]string{"ubuntu@203.0.113.7:22: docker engine: apt-get install docker.io failed", "    | » apt-get install docker.io", "    | E: Unable to locate package docker.io"}, nil},
		{"sudo needs a password", fakeRunner{err: exit1, stderr: "sudo: a password is required\n"},
			[]string{"ubuntu@203.0.113.7:22: sudo needs a password"}, sshx.ErrSudoPassword},
		{"no sudo", fakeRunner{err: errors.New("exit 126"), stderr: "mlforge: sudo is not installed\n"},
			[]string{"sudo is not installed"}, sshx.ErrNoSudo},
		{"connection lost mid-step", fakeRunner{err: exit1, stdout: "::mlforge step engine Docker Engine\n::mlforge detail apt-get install docker.io\n"},
			[]string{"bootstrap interrupted during docker engine", "safe to run again"}, exit1},
		{"script ends early", fakeRunner{stdout: "::mlforge step os detect the OS\n::mlforge done os x\n"},
			[]string{"ended before verifying Docker"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			res, err := Run(context.Background(), &f, Options{}, &fakeReporter{})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if res.Error != err.Error() {
				t.Errorf("result error %q, want %q", res.Error, err)
			}
		})
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{DockerVersion: "latest"}, {ComposeVersion: "2..1"}, {User: "bad user"}, {Channel: "snap"}} {
		if _, err := Run(context.Background(), &fakeRunner{}, o, &fakeReporter{}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want Event
	}{
		{"::mlforge step engine Docker Engine", true, Event{EventStep, "engine", "Docker Engine"}},
		{"::mlforge detail apt-get update\r", true, Event{EventDetail, "", "apt-get update"}},
		{"::mlforge result docker 26.1.5", true, Event{EventResult, "docker", "26.1.5"}},
		{"::mlforge bogus x", false, Event{}},
		{"Get:1 http://deb.debian.org", false, Event{}},
	}
	for _, tt := range tests {
		got, ok := ParseEvent(tt.line)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseEvent(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
