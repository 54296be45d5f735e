package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/iostreams"
	"github.com/mlforge/mlforge/templates"
)

// Factory hands commands their dependencies; tests build their own.
type Factory struct {
	IO *iostreams.IOStreams
	// Templates returns the template catalog (the embedded one by default).
	Templates func() (*templates.Catalog, error)
	// Getwd returns the working directory.
	Getwd func() (string, error)
	// Deploy are the outside services targets use (Docker, AWS).
	Deploy deploy.Deps
}

// NewFactory returns the production dependencies. Nothing here does work at
// start-up: each is a function called only by the commands that need it.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	return &Factory{IO: ios, Templates: templates.Embedded, Getwd: os.Getwd, Deploy: deploy.DefaultDeps()}
}

// writeJSON prints v as indented JSON, the --json output of every command.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exactArgs is cobra.ExactArgs with a usage error naming what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return errs.WithHint(errs.Usage(fmt.Errorf("%s takes %s (got %d arguments)", cmd.CommandPath(), what, len(args))),
				fmt.Sprintf("usage: %s", cmd.UseLine()))
		}
		return nil
	}
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return errs.WithHint(errs.Usage(fmt.Errorf("%s takes no arguments (got %q)", cmd.CommandPath(), args[0])),
			fmt.Sprintf("usage: %s", cmd.UseLine()))
	}
	return nil
}
