package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminalQueries are what termenv sends to learn the background colour
// and the cursor position; a terminal that never answers makes it wait.
var terminalQueries = []string{"\x1b]11;?", "\x1b[6n"}

// TestNoTerminalQueriesUnderASilentPTY runs mlforge under a pseudo-terminal
// nobody answers (as script(1) or `docker run -t` do) and under a pipe:
// under the pty it must send no terminal query (each one costs a 5 s
// timeout), and it must still see the user's TERM (colours on).
func TestNoTerminalQueriesUnderASilentPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "mlforge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	empty := t.TempDir() // no mlforge.yaml: status fails with a (coloured) error
	for _, args := range [][]string{{"--help"}, {"status"}} {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			pipeOut, pipeTime := runPiped(t, bin, empty, args)
			ttyOut, ttyTime := runUnderPTY(t, bin, empty, args)
			t.Logf("mlforge %s: %v under a pipe, %v under a silent pty", name, pipeTime, ttyTime)
			for _, q := range terminalQueries {
				if strings.Contains(ttyOut, q) {
					t.Errorf("under a pty mlforge %s sent the terminal query %q:\n%q", name, q, ttyOut)
				}
			}
			if len(ttyOut) == 0 || len(pipeOut) == 0 {
				t.Errorf("no output: pty %q, pipe %q", ttyOut, pipeOut)
			}
			if name == "status" && !strings.Contains(ttyOut, "\x1b[31merror:") {
				t.Errorf("under a pty with TERM=xterm-256color the error is not coloured: %q", ttyOut)
			}
			if strings.Contains(pipeOut, "\x1b[") {
				t.Errorf("under a pipe the output has escape sequences: %q", pipeOut)
			}
		})
	}
}

func command(bin, dir string, args []string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	env := []string{"TERM=xterm-256color", "HOME=" + dir}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env // no CI: termenv skips its queries when CI is set
	return cmd
}

func runPiped(t *testing.T, bin, dir string, args []string) (string, time.Duration) {
	t.Helper()
	cmd := command(bin, dir, args)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	_ = cmd.Run() // status exits 1 here: the output is what counts
	return out.String(), time.Since(start)
}

func runUnderPTY(t *testing.T, bin, dir string, args []string) (string, time.Duration) {
	t.Helper()
	cmd := command(bin, dir, args)
	start := time.Now()
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer tty.Close()
	var out bytes.Buffer
	_, _ = io.Copy(&out, tty) // ends with EIO once the child exits
	_ = cmd.Wait()
	return out.String(), time.Since(start)
}
