// Command mlforge-docs writes mlforge's shell completions and man pages,
// generated from the real command tree, for the release archives:
//
//	go run ./cmd/mlforge-docs -out DIR [-date UNIX-TIME]
//
// writes DIR/completions/mlforge.{bash,zsh,fish,ps1} and DIR/man/*.1.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mlforge/mlforge/internal/buildinfo"
	"github.com/mlforge/mlforge/internal/cli"
	"github.com/mlforge/mlforge/internal/iostreams"
)

func main() { os.Exit(run(os.Args[1:], os.Getenv, os.Stderr)) }

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("mlforge-docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write completions/ and man/ into (required)")
	epoch := fs.String("date", "", "date of the man pages as a Unix time (default: $SOURCE_DATE_EPOCH, else now)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: mlforge-docs -out DIR")
		return 2
	}
	if *epoch != "" {
		getenv = func(string) string { return *epoch }
	}
	date, err := sourceDate(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	root := cli.NewRoot(cli.NewFactory(iostreams.System()))
	if err := generate(root, *out, date); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// sourceDate is the date printed in the man pages: -date or
// SOURCE_DATE_EPOCH when set (reproducible builds; goreleaser passes the
// commit date), else now.
func sourceDate(getenv func(string) string) (time.Time, error) {
	s := getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Now().UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH or -date: %q is not a Unix time in seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// generate writes the completions and the man pages of root under dir.
func generate(root *cobra.Command, dir string, date time.Time) error {
	root.DisableAutoGenTag = true
	comp := filepath.Join(dir, "completions")
	man := filepath.Join(dir, "man")
	for _, d := range []string{comp, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	shells := map[string]func(io.Writer) error{
		"mlforge.bash": func(w io.Writer) error { return root.GenBashCompletionV2(w, true) },
		"mlforge.zsh":  root.GenZshCompletion,
		"mlforge.fish": func(w io.Writer) error { return root.GenFishCompletion(w, true) },
		"mlforge.ps1":  root.GenPowerShellCompletionWithDesc,
	}
	for name, gen := range shells {
		if err := writeFile(filepath.Join(comp, name), gen); err != nil {
			return err
		}
	}
	header := &doc.GenManHeader{Title: "MLFORGE", Section: "1", Date: &date,
		Source: "mlforge " + buildinfo.Get().Version, Manual: "mlforge manual"}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("writing man pages: %w", err)
	}
	return nil
}

// writeFile writes what gen produces to path, through a temporary file so
// a failure leaves no half-written file.
func writeFile(path string, gen func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := gen(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
