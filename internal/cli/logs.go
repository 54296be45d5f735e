package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/stack"
)

func newLogsCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var since string
	var follow bool
	var lines int
	cmd := &cobra.Command{
		Use:   "logs [service...]",
		Short: "Show the logs of the stack's services",
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(f)
			if err != nil {
				return err
			}
			defer t.Close()
			if t.IsSwarm() {
				return swarmLogs(cmd.Context(), f, t, args, follow, since, lines)
			}
			p, err := t.Project(cmd.Context())
			if err != nil {
				return err
			}
			err = p.Compose.Run(cmd.Context(), stack.LogsArgs(args, follow, since, lines), f.IO.Out, f.IO.ErrOut)
			if follow && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C is how following ends
			}
			return err
		},
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming new lines")
	cmd.Flags().StringVar(&since, "since", "", "only lines since a time (2026-01-02T15:04:05) or a duration (10m)")
	cmd.Flags().IntVarP(&lines, "tail", "n", 0, "only the last N lines per service (0: all)")
	return cmd
}
