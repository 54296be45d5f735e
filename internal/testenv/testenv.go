// Package testenv lets tests ask for the real parts they need (a Docker
// engine, Compose v2, the pulumi CLI, stand-in images) and decide what to do
// when one is missing: in CI (CI set) a missing part fails the test, since
// the test command installs everything; elsewhere the test is skipped with
// the command that installs it.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// SetupHint names the command that installs every test dependency.
const SetupHint = "run scripts/testenv/all.sh (or scripts/test.sh) to install it"

// missing fails in CI and skips elsewhere.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not available; CI must provide it: %s", what, SetupHint)
	}
	t.Skipf("%s is not available: %s", what, SetupHint)
}

// RequireDocker needs a reachable Docker engine.
func RequireDocker(t testing.TB) {
	t.Helper()
	if err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").Run(); err != nil {
		missing(t, "the Docker engine")
	}
}

// RequireCompose needs a Docker engine and the Compose v2 plugin.
func RequireCompose(t testing.TB) {
	t.Helper()
	RequireDocker(t)
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		missing(t, "docker compose (v2)")
	}
}

// RequireImage needs a local image (the stand-ins scripts/testenv/images.sh builds).
func RequireImage(t testing.TB, ref string) {
	t.Helper()
	RequireDocker(t)
	if err := exec.Command("docker", "image", "inspect", ref).Run(); err != nil {
		missing(t, "image "+ref)
	}
}

// PulumiVersion is the pulumi CLI version the tests use.
const PulumiVersion = "3.274.1"

// RequirePulumi returns the directory holding the pinned pulumi CLI.
func RequirePulumi(t testing.TB) string {
	t.Helper()
	home, _ := os.UserHomeDir()
	dir := filepath.Join(home, ".pulumi", "versions", PulumiVersion)
	if _, err := os.Stat(filepath.Join(dir, "bin", "pulumi")); err != nil {
		missing(t, "the pulumi CLI "+PulumiVersion)
	}
	return dir
}

// RequireTool needs a program on PATH.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that it has not returned before in this test process.
func FreePort(t testing.TB) int {
	t.Helper()
	handedOut.mu.Lock()
	defer handedOut.mu.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// The kernel may hand the same port out again once it is closed:
		// a test that asks for several (one per service) needs them apart.
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
}

// handedOut are the ports FreePort returned in this test process.
var handedOut = struct {
	mu    sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Name returns a lower-case name derived from the test, usable as a
// compose project or container name (at most 39 characters, so it is
// also a valid mlforge project name).
func Name(t testing.TB) string {
	n := strings.ToLower(t.Name())
	var b strings.Builder
	for _, r := range n {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	s := strings.TrimPrefix(strings.Trim(b.String(), "-"), "test")
	if len(s) > 34 {
		s = s[:34]
	}
	return "mlft-" + strings.Trim(s, "-")
}
