package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlforge/mlforge/internal/ui"
)

// TestRenderedStatus pins what people see (plain, as in CI logs) for a
// fresh install, a no-op re-run and a failure.
func TestRenderedStatus(t *testing.T) {
	noop := `::mlforge step os detect the OS
::mlforge done os Debian GNU/Linux 13 (trixie), distro packages
::mlforge step wait wait for cloud-init and package locks
::mlforge skip wait nothing to wait for
::mlforge step engine Docker Engine
::mlforge skip engine already installed 26.1.5
::mlforge step compose Compose v2
::mlforge skip compose already installed 2.26.1-4
::mlforge step daemon Docker daemon
::mlforge skip daemon already running
::mlforge step group docker group
::mlforge skip group deploy already a member
::mlforge step verify verify
::mlforge done verify docker 26.1.5 and compose 2.26.1-4 answer; a container runs
`
	failed := `::mlforge step os detect the OS
::mlforge done os Debian GNU/Linux 12 (bookworm), docker-ce packages
::mlforge step engine Docker Engine
::mlforge detail adding Docker's apt repository https://download.docker.com/linux/debian
curl: (6) Could not resolve host: download.docker.com
::mlforge fail engine cannot reach Docker's repository at https://download.docker.com/linux/debian
`
	for _, tc := range []struct {
		name, out string
		err       error
	}{{"fresh", freshOutput, nil}, {"noop", noop, nil}, {"failed", failed, errors.New("exit status 1")}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			st := ui.NewPlainStatus(&buf)
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			st.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock })
			_, err := Run(context.Background(), &fakeRunner{stdout: tc.out, err: tc.err}, Options{}, st)
			if err != nil {
				buf.WriteString("error: " + err.Error() + "\n")
			}
			path := filepath.Join("testdata", "render", tc.name+".golden")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("rendered status differs from %s:\n%s", path, buf.String())
			}
		})
	}
}
