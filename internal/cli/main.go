// Package cli holds mlforge's cobra commands: thin layers that parse flags
// into an options struct and call a run function over the real packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/internal/ui"
)

// Main runs mlforge with the process's arguments and streams and returns
// the exit code: 0 success, 1 failure, 2 usage error.
func Main() int {
	ios := iostreams.System()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, NewFactory(ios), os.Args[1:])
}

// Run executes one command line and reports its error once, at the top.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		// cobra appends suggestions on lines of their own: fold them in.
		msg, suggestions, _ := strings.Cut(err.Error(), "\n\nDid you mean this?\n")
		if s := strings.Fields(suggestions); len(s) > 0 {
			msg += " (did you mean " + strings.Join(s, " or ") + "?)"
		}
		err = errs.WithHint(errs.Usage(errors.New(strings.TrimSpace(msg))), "run 'mlforge --help' to see the commands")
	}
	Report(f.IO, err)
	return errs.ExitCode(err)
}

// Report prints err and its hint on stderr (nothing for nil or an error
// already shown to the user).
func Report(ios *iostreams.IOStreams, err error) {
	var silent *errs.SilentError
	if err == nil || errors.As(err, &silent) {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(ios.ErrOut, "interrupted")
		return
	}
	prefix := "error:"
	if ios.ColorEnabled() {
		prefix = "\033[31merror:\033[0m"
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		fmt.Fprintf(ios.ErrOut, "%s\n%s\n", prefix, ui.Indent(msg, "  "))
	} else {
		fmt.Fprintf(ios.ErrOut, "%s %s\n", prefix, msg)
	}
	if hint := errs.Hint(err); hint != "" {
		fmt.Fprintf(ios.ErrOut, "hint: %s\n", hint)
	}
}
