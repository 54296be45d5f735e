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
	fl := cmd.Flags()
	fl.StringVar(&tf.Env, "env", "", "environment from mlforge.yaml (default: dev)")
	fl.StringVar(&tf.Target, "target", "", "target (only aws has infrastructure to refresh)")
	return cmd
}

func refreshRun(ctx context.Context, f *Factory, tf *targetFlags) error {
	dir, cfg, err := tf.resolve(f)
	if err != nil {
		return err
	}
	env, err := openAWS(ctx, f, dir, cfg, false)
	if err != nil {
		return err
	}
	progress := provision.NewProgressList(f.IO.ErrOut, f.IO.ColorEnabled())
	if err := env.engine.Refresh(ctx, progress); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "%s refreshed: %s\n", env.engine.Name(), progress.Summary())
	return nil
}
