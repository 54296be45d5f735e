package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
)

func newSSHCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	cmd := &cobra.Command{
		Use:   "ssh [-- command...]",
		Short: "Open a shell (or run a command) on the stack's host, in the project directory",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			target, err := tf.open(f)
			if err != nil {
				return err
			}
			defer target.Close()
			t, err := target.Conn(ctx)
			if err != nil {
				return err
			}
			in, ok := f.IO.In.(*os.File)
			if !ok {
				in = os.Stdin
			}
			command := "cd '" + strings.ReplaceAll(t.Dir, "'", `'\''`) + "' 2>/dev/null; exec \"${SHELL:-/bin/sh}\" -l"
			if len(args) > 0 {
				command = "cd '" + strings.ReplaceAll(t.Dir, "'", `'\''`) + "' 2>/dev/null; " + strings.Join(args, " ")
			}
			err = t.Client.Shell(ctx, in, f.IO.Out, f.IO.ErrOut, command)
			if code, ok := exitCode(err); ok {
				return &errs.SilentError{Code: code}
			}
			return err
		},
	}
	tf.add(cmd.Flags())
	return cmd
}
