package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// installRun is one run of install.sh.
type installRun struct {
	code           int
	stdout, stderr string
}

// runInstall runs install.sh with dash (a strict POSIX sh, so no bashism
// slips in) and only the environment given.
func runInstall(t *testing.T, env []string, args ...string) installRun {
	t.Helper()
	sh := testenv.RequireTool(t, "dash")
	cmd := exec.Command(sh, append([]string{filepath.Join(testenv.RepoRoot(t), "install.sh")}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return installRun{code, out.String(), errOut.String()}
}

// installed runs the installed binary's `version --json`.
func installed(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "version", "--json").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	return string(out)
}

func TestInstallPinnedAndLatest(t *testing.T) {
	r := snapshot(t)
	srv := serve(t, r.Version, true, releaseFiles(t, r))

	dir := filepath.Join(t.TempDir(), "bin")
	run := runInstall(t, []string{"MLFORGE_BASE_URL=" + srv.URL}, "--version", r.Version, "--dir", dir)
	if run.code != 0 {
		t.Fatalf("exit %d:\n%s", run.code, run.stderr)
	}
	v := installed(t, filepath.Join(dir, "mlforge"))
	if !strings.Contains(v, `"version": "`+r.Version+`"`) || !strings.Contains(v, `"commit": "`+r.Commit+`"`) {
		t.Errorf("installed binary reports %s; want version %s, commit %s", v, r.Version, r.Commit)
	}
	sum := sha256.Sum256(r.File(t, "mlforge_linux_amd64.tar.gz"))
	for _, want := range []string{"verified SHA-256 " + hex.EncodeToString(sum[:]), "installed mlforge " + r.Version, "is not on PATH"} {
		if !strings.Contains(run.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, run.stderr)
		}
	}
	if want := "/download/" + r.Version + "/checksums.txt /download/" + r.Version + "/mlforge_linux_amd64.tar.gz"; srv.Asked() != want {
		t.Errorf("fetched %q, want %q", srv.Asked(), want)
	}

	// latest, the version without its v, the environment variables and
	// --base-url; a second install over the first converges.
	for _, tc := range []struct {
		env  []string
		args []string
		path string
	}{
		{[]string{"MLFORGE_INSTALL_DIR=" + dir, "PATH=" + dir + ":" + os.Getenv("PATH")}, []string{"--base-url", srv.URL}, "/latest/download/"},
		{[]string{"MLFORGE_BASE_URL=" + srv.URL + "/", "MLFORGE_VERSION=" + strings.TrimPrefix(r.Version, "v")}, []string{"--dir=" + dir}, "/download/" + r.Version + "/"},
	} {
		before := len(srv.Asked())
		run := runInstall(t, tc.env, tc.args...)
		if run.code != 0 || !strings.Contains(srv.Asked()[before:], tc.path+"mlforge_linux_amd64.tar.gz") {
			t.Errorf("%v %v: exit %d, fetched %q:\n%s", tc.env, tc.args, run.code, srv.Asked()[before:], run.stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%s holds %d entries after three installs, want only mlforge", dir, len(entries))
	}
}

// A tampered archive, a wrong or missing checksum, or an unreachable
// release must be refused with a clear error and nothing installed.
func TestInstallRefuses(t *testing.T) {
	r := snapshot(t)
	good := releaseFiles(t, r)
	archive := good["mlforge_linux_amd64.tar.gz"]
	sum := sha256.Sum256(archive)
	tampered := append([]byte(nil), archive...)
	tampered[len(tampered)/2] ^= 0xff
	otherSum := strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		change func(map[string][]byte)
		args   []string
		want   string
	}{
		{"tampered archive", func(f map[string][]byte) { f["mlforge_linux_amd64.tar.gz"] = tampered }, nil,
			"checksum mismatch for mlforge_linux_amd64.tar.gz: expected " + hex.EncodeToString(sum[:])},
		{"wrong checksum", func(f map[string][]byte) {
			f["checksums.txt"] = []byte(otherSum + "  mlforge_linux_amd64.tar.gz\n")
		}, nil, "checksum mismatch for mlforge_linux_amd64.tar.gz: expected " + otherSum},
		{"no checksum for the archive", func(f map[string][]byte) {
			f["checksums.txt"] = []byte(otherSum + "  mlforge_darwin_arm64.tar.gz\n")
		}, nil, "checksums.txt of mlforge " + r.Version + " has no entry for mlforge_linux_amd64.tar.gz: refusing to install an unverified binary"},
		{"malformed checksum", func(f map[string][]byte) {
			f["checksums.txt"] = []byte("abc  mlforge_linux_amd64.tar.gz\n")
		}, nil, "checksums.txt of mlforge " + r.Version + " has a malformed entry for mlforge_linux_amd64.tar.gz"},
		{"no checksums file", func(f map[string][]byte) { delete(f, "checksums.txt") }, nil,
			"cannot download checksums.txt of mlforge " + r.Version},
		{"no archive", func(f map[string][]byte) { delete(f, "mlforge_linux_amd64.tar.gz") }, nil,
			"cannot download mlforge_linux_amd64.tar.gz of mlforge " + r.Version},
		{"unknown version", func(map[string][]byte) {}, []string{"--version", "v9.9.9"},
			"cannot download checksums.txt of mlforge v9.9.9"},
		{"not a version", func(map[string][]byte) {}, []string{"--version", "newest"},
			"--version newest is not a release tag such as v0.4.0 (or latest)"},
		{"unknown option", func(map[string][]byte) {}, []string{"--prefix", "/usr"}, "unknown option --prefix"},
		{"option without value", func(map[string][]byte) {}, []string{"--dir"}, "--dir needs a value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range good {
				files[k] = v
			}
			tc.change(files)
			srv := serve(t, r.Version, false, files)
			dir := filepath.Join(t.TempDir(), "bin")
			args := append([]string{"--version", r.Version, "--dir", dir, "--base-url", srv.URL}, tc.args...)
			run := runInstall(t, nil, args...)
			if run.code == 0 || !strings.Contains(run.stderr, "mlforge install: error: "+tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant a failure with %q", run.code, run.stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("%s holds %d entries after a refused install", dir, len(entries))
			}
		})
	}
}

// install.sh picks the archive for the OS and CPU, and says clearly when
// there is none.
func TestInstallPlatforms(t *testing.T) {
	// checksums.txt is served so a run gets as far as fetching the archive.
	srv := serve(t, "v1.0.0", false, map[string][]byte{"checksums.txt": []byte(strings.Repeat("0", 64) + "  x\n")})
	for _, tc := range []struct{ os, arch, want string }{
		{"Darwin", "arm64", "/download/v1.0.0/mlforge_darwin_arm64.tar.gz"},
		{"Linux", "aarch64", "/download/v1.0.0/mlforge_linux_arm64.tar.gz"},
		{"MINGW64_NT-10.0", "x86_64", "/download/v1.0.0/mlforge_windows_amd64.zip"},
		{"FreeBSD", "amd64", "no mlforge release for the OS FreeBSD"},
		{"Linux", "riscv64", "no mlforge release for the CPU riscv64"},
	} {
		before := len(srv.Asked())
		run := runInstall(t, []string{"MLFORGE_OS=" + tc.os, "MLFORGE_ARCH=" + tc.arch},
			"--version", "v1.0.0", "--dir", t.TempDir(), "--base-url", srv.URL)
		asked := srv.Asked()[before:]
		if run.code == 0 || !(strings.Contains(asked, tc.want) || strings.Contains(run.stderr, tc.want)) {
			t.Errorf("%s/%s: exit %d, fetched %q, stderr %s; want %q", tc.os, tc.arch, run.code, asked, run.stderr, tc.want)
		}
	}
}

// Without root and without --dir, install.sh installs into ~/.local/bin;
// a directory it cannot write is refused with a clear error.
func TestInstallAsUser(t *testing.T) {
	setpriv := testenv.RequireTool(t, "setpriv")
	if os.Geteuid() != 0 {
		t.Skip("switching to an unprivileged user needs root")
	}
	r := snapshot(t)
	srv := serve(t, r.Version, true, releaseFiles(t, r))
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil || os.Chown(home, 65534, 65534) != nil {
		t.Fatalf("preparing %s: %v", home, err)
	}
	// t.TempDir's directories are private to root: let nobody through.
	for d := filepath.Dir(home); d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	asNobody := func(args ...string) installRun {
		full := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", testenv.RequireTool(t, "dash"),
			filepath.Join(testenv.RepoRoot(t), "install.sh"), "--base-url", srv.URL}, args...)
		cmd := exec.Command(setpriv, full...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + os.TempDir()}
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return installRun{code: code, stderr: errOut.String()}
	}
	if run := asNobody(); run.code != 0 || !strings.Contains(run.stderr, home+"/.local/bin is not on PATH") {
		t.Fatalf("exit %d:\n%s", run.code, run.stderr)
	}
	installed(t, filepath.Join(home, ".local", "bin", "mlforge"))
	locked := t.TempDir() // owned by root, 0700 parent: not writable for nobody
	if run := asNobody("--dir", locked); run.code == 0 || !strings.Contains(run.stderr, "error: cannot write to "+locked+": pass --dir") &&
		!strings.Contains(run.stderr, "error: cannot create "+locked) {
		t.Errorf("unwritable --dir: exit %d:\n%s", run.code, run.stderr)
	}
}

// With wget and no curl (slim and Alpine images), install.sh downloads
// with wget.
func TestInstallWithWget(t *testing.T) {
	r := snapshot(t)
	srv := serve(t, r.Version, true, releaseFiles(t, r))
	bin := t.TempDir()
	for _, tool := range []string{"dash", "wget", "uname", "mktemp", "rm", "mkdir", "cp", "chmod", "mv", "awk", "grep",
		"sed", "cut", "sha256sum", "tar", "gzip", "id", "head"} {
		p := testenv.RequireTool(t, tool)
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "bin")
	run := runInstall(t, []string{"PATH=" + bin}, "--dir", dir, "--base-url", srv.URL)
	if run.code != 0 || !strings.Contains(srv.Asked(), "/latest/download/mlforge_linux_amd64.tar.gz") {
		t.Fatalf("exit %d, fetched %q:\n%s", run.code, srv.Asked(), run.stderr)
	}
	installed(t, filepath.Join(dir, "mlforge"))
	delete := filepath.Join(bin, "wget")
	os.Remove(delete)
	if run := runInstall(t, []string{"PATH=" + bin}, "--dir", dir, "--base-url", srv.URL); run.code == 0 ||
		!strings.Contains(run.stderr, "error: neither curl nor wget is installed") {
		t.Errorf("without curl and wget: exit %d:\n%s", run.code, run.stderr)
	}
}
