package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/cli"
	"github.com/mlforge/mlforge/internal/iostreams"
)

// Every command of the real tree gets a man page, every shell a
// completion script, and the man pages carry SOURCE_DATE_EPOCH's date.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01
	var stderr bytes.Buffer
	if code := run([]string{"-out", dir}, func(k string) string { return env[k] }, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	root := cli.NewRoot(cli.NewFactory(iostreams.System()))
	var walk func(c *cobra.Command)
	pages := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, "man", name))
		if err != nil {
			t.Errorf("no man page for %q: %v", c.CommandPath(), err)
		} else if !bytes.Contains(b, []byte(`.TH "MLFORGE" "1" "Jan 2026"`)) || !bytes.Contains(b, []byte(c.Short)) {
			t.Errorf("%s: header or summary missing:\n%.300s", name, b)
		}
		pages++
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	// -date wins over SOURCE_DATE_EPOCH.
	if code := run([]string{"-out", dir, "-date", "1785542400"}, func(k string) string { return env[k] }, &stderr); code != 0 {
		t.Fatalf("-date: exit %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "man", "mlforge.1")); !bytes.Contains(b, []byte(`"Aug 2026"`)) {
		t.Errorf("-date 1785542400 not used:\n%.200s", b)
	}
	if pages < 15 {
		t.Errorf("%d man pages; the command tree has more commands", pages)
	}
	for shell, marker := range map[string]string{"bash": "__start_mlforge", "zsh": "#compdef mlforge", "fish": "complete -c mlforge", "ps1": "Register-ArgumentCompleter"} {
		b, err := os.ReadFile(filepath.Join(dir, "completions", "mlforge."+shell))
		if err != nil || !bytes.Contains(b, []byte(marker)) {
			t.Errorf("mlforge.%s: %v, lacks %q", shell, err, marker)
		}
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		if out, err := exec.Command(bash, "-n", filepath.Join(dir, "completions", "mlforge.bash")).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}[k] }
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: mlforge-docs -out DIR"},
		{[]string{"-out", t.TempDir()}, 1, `SOURCE_DATE_EPOCH or -date: "yesterday" is not a Unix time in seconds`},
		{[]string{"-out", t.TempDir(), "-date", "soon"}, 1, `"soon" is not a Unix time in seconds`},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, getenv, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
