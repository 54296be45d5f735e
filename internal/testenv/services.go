package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CacheDir is where the test installers keep what they build.
func CacheDir() string {
	if d := os.Getenv("MLFORGE_TEST_CACHE"); d != "" {
		return d
	}
	return "/var/cache/mlforge-test"
}

// startServer runs a test server until the test ends and waits until url
// answers.
func startServer(t testing.TB, url string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start on %s:\n%s", filepath.Base(name), url, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Moto starts moto's server (installed by scripts/testenv/moto.sh) on a
// 127.0.0.1 port, points the AWS SDK's credentials at dummies for the
// test, and returns the endpoint.
func Moto(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(CacheDir(), "moto", "bin", "moto_server")
	if _, err := os.Stat(bin); err != nil {
		missing(t, "moto (scripts/testenv/moto.sh)")
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", FreePort(t))
	startServer(t, endpoint+"/moto-api/", bin, "-H", "127.0.0.1", "-p", endpoint[len("http://127.0.0.1:"):])
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return endpoint
}
