package bootstrap

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runPlan runs the embedded script in plan mode against a fake os-release.
func runPlan(t *testing.T, osRelease string, opts Options) (string, error) {
	t.Helper()
	opts.Plan = true
	args := append([]string{"-s", "--"}, opts.Args()...)
	args = append(args, "--os-release", filepath.Join("testdata", "os-release", osRelease))
	cmd := exec.Command("sh", args...)
	cmd.Stdin = strings.NewReader(Script())
	cmd.Env = append(os.Environ(), "SUDO_USER=ubuntu")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("plan differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestPlan covers the commands the script runs on every supported OS and
// channel, including Docker's repository (unreachable from the test hosts).
func TestPlan(t *testing.T) {
	tests := []struct {
		name, os string
		opts     Options
	}{
		{"ubuntu-22.04", "ubuntu-22.04", Options{}},
		{"ubuntu-24.04", "ubuntu-24.04", Options{}},
		{"ubuntu-24.04-docker-ce-pinned", "ubuntu-24.04", Options{Channel: ChannelDockerCE, DockerVersion: "27.3.1", ComposeVersion: "2.29"}},
		{"debian-12", "debian-12", Options{}},
		{"debian-13", "debian-13", Options{}},
		{"debian-13-pinned", "debian-13", Options{DockerVersion: "26.1", ComposeVersion: "2.26", User: "admin", LockTimeout: 30e9}},
		{"debian-13-docker-ce", "debian-13", Options{Channel: ChannelDockerCE}},
		{"amzn-2023", "amzn-2023", Options{User: "ec2-user"}},
		{"ubuntu-24.04-data-volume", "ubuntu-24.04", Options{User: "ubuntu", DataWait: 90e9,
			DataDevices: []string{"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0", "/dev/xvdf"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runPlan(t, tt.os, tt.opts)
			if err != nil {
				t.Fatalf("plan failed: %v\n%s", err, out)
			}
			golden(t, tt.name, out)
		})
	}
}

// TestPlanRefuses covers the combinations the script rejects, with the
// message each one prints.
func TestPlanRefuses(t *testing.T) {
	tests := []struct {
		name, os string
		opts     Options
		want     string
	}{
		{"unsupported OS", "centos-9", Options{}, "::mlforge fail os CentOS Stream 9 is not supported (supported: Ubuntu 22.04, Ubuntu 24.04, Debian 12, Debian 13, Amazon Linux 2023)"},
		{"debian 12 distro", "debian-12", Options{Channel: ChannelDistro}, "::mlforge fail os Debian GNU/Linux 12 (bookworm) has no Compose v2 package: use --channel docker-ce (Docker's repository)"},
		{"amazon docker-ce", "amzn-2023", Options{Channel: ChannelDockerCE}, "::mlforge fail os Docker's repository (docker-ce) has no Amazon Linux packages: use the distro channel there"},
		{"amazon short compose pin", "amzn-2023", Options{ComposeVersion: "2.40"}, "::mlforge fail compose --compose-version must be a full release like 2.40.3 on Amazon Linux 2023.6.20241212"},
		{"missing os-release", "nope", Options{}, "::mlforge fail os cannot read testdata/os-release/nope: unsupported OS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runPlan(t, tt.os, tt.opts)
			if err == nil {
				t.Fatalf("plan succeeded, want failure:\n%s", out)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestScriptPassesShellcheck(t *testing.T) {
	sc := testenv.RequireTool(t, "shellcheck")
	out, err := exec.Command(sc, "-s", "sh", "-S", "style", "install.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck install.sh: %v\n%s", err, out)
	}
}

func TestScriptRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"--channel", "snap"}, {"--lock-timeout", "soon"}, {"--frobnicate"},
		{"--data-device", "xvdf"}, {"--data-wait", "soon"}} {
		cmd := exec.Command("sh", append([]string{"-s", "--"}, args...)...)
		cmd.Stdin = strings.NewReader(Script())
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "::mlforge fail init") {
			t.Errorf("%v: err=%v, output %q, want a fail line", args, err, out)
		}
	}
}
