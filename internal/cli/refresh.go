package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/provision"
)

func newRefreshCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Read the real state of the AWS resources into the environment's stack",
		Long: `Read every AWS resource of the environment and record what it really is, so
changes made outside mlforge (in the console, by another tool) show up in the
next preview. It changes the stack's record only, never the resources.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return refreshRun(cmd.Context(), f, &tf) },
	}
	tf.addEnv(cmd.Flags())
	return cmd
}

func refreshRun(ctx context.Context, f *Factory, tf *targetFlags) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	infra, _, err := t.Infra(ctx, false)
	if err != nil {
		return err
	}
	progress := provision.NewProgressList(f.IO.ErrOut, f.IO.ColorEnabled())
	if err := infra.Refresh(ctx, progress); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "%s refreshed: %s\n", infra.Name(), progress.Summary())
	return nil
}
