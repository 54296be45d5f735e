package release

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// Release is a snapshot release: goreleaser's dist directory.
type Release struct {
	Dir     string // dist: archives, checksums.txt
	Version string // tag of the snapshot, such as v0.0.1-snapshot
	Commit  string
}

// File returns the content of a file of the release.
func (r *Release) File(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	snapOnce sync.Once
	snap     *Release
	snapErr  error
	snapRoot string // removed by TestMain
)

// TestMain removes the snapshot after the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if snapRoot != "" {
		os.RemoveAll(snapRoot)
	}
	os.Exit(code)
}

// snapshot builds the snapshot release once per test run: goreleaser (as
// scripts/testenv/release-tools.sh installs it) with a copy of
// .goreleaser.yaml whose targets are linux/amd64 only.
func snapshot(t testing.TB) *Release {
	t.Helper()
	goreleaser := filepath.Join(testenv.CacheDir(), "bin", "goreleaser")
	if _, err := os.Stat(goreleaser); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("goreleaser is not installed; CI must provide it: run scripts/testenv/release-tools.sh")
		}
		t.Skip("goreleaser is not installed: run scripts/testenv/release-tools.sh (or scripts/test.sh)")
	}
	snapOnce.Do(func() { snap, snapErr = buildSnapshot(testenv.RepoRoot(t), goreleaser) })
	if snapErr != nil {
		t.Fatal(snapErr)
	}
	return snap
}

var (
	goosLine   = regexp.MustCompile(`(?m)^    goos: \[.*\]$`)
	goarchLine = regexp.MustCompile(`(?m)^    goarch: \[.*\]$`)
)

func buildSnapshot(repo, goreleaser string) (*Release, error) {
	var err error
	snapRoot, err = os.MkdirTemp("", "mlforge-snapshot-")
	if err != nil {
		return nil, err
	}
	cfg, err := os.ReadFile(filepath.Join(repo, ".goreleaser.yaml"))
	if err != nil {
		return nil, err
	}
	if len(goosLine.FindAll(cfg, -1)) != 1 || len(goarchLine.FindAll(cfg, -1)) != 1 {
		return nil, fmt.Errorf(".goreleaser.yaml: expected one goos and one goarch list to narrow to linux/amd64")
	}
	cfg = goosLine.ReplaceAll(cfg, []byte("    goos: [linux]"))
	cfg = goarchLine.ReplaceAll(cfg, []byte("    goarch: [amd64]"))
	dist := filepath.Join(snapRoot, "dist")
	cfg = append(cfg, []byte("dist: "+dist+"\n")...)
	cfgPath := filepath.Join(snapRoot, "goreleaser.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return nil, err
	}
	// Archive files are globbed relative to the repository.
	docs := filepath.Join("build", "docs-test."+filepath.Base(snapRoot))
	defer os.RemoveAll(filepath.Join(repo, docs))
	cmd := exec.Command(goreleaser, "release", "--snapshot", "--clean", "--config", cfgPath)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "MLFORGE_DOCS_DIR="+docs)
	// goreleaser reads the commit only when the repository has a remote; a
	// clone without one gets the project's URL for this run.
	if exec.Command("git", "-C", repo, "ls-remote", "--get-url").Run() != nil {
		cmd.Env = append(cmd.Env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url",
			"GIT_CONFIG_VALUE_0=https://github.com/mlforge/mlforge.git")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("goreleaser release --snapshot: %v\n%s", err, tail(string(out), 40))
	}
	var meta struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err == nil {
		err = json.Unmarshal(b, &meta)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the snapshot's metadata.json: %w", err)
	}
	return &Release{Dir: dist, Version: "v" + meta.Version, Commit: meta.Commit}, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
