package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

func newDownCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var volumes, yes bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the stack's containers (volumes are kept)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, cfg, err := tf.resolve(f)
			if err != nil {
				return err
			}
			if volumes && !yes {
				ok, perr := ui.NewPrompter(f.IO).Confirm(fmt.Sprintf("Delete the volumes of %s (MLflow runs and models, metrics, predictions)?", cfg.ComposeProject()))
				if errors.Is(perr, ui.ErrNoPrompt) {
					return errs.WithHint(errs.Usage(errors.New("--volumes deletes data and needs confirmation")), "pass --yes to confirm without a terminal")
				}
				if perr != nil {
					return perr
				}
				if !ok {
					return errors.New("cancelled: nothing was removed")
				}
			}
			p, done, err := tf.openProject(cmd.Context(), f)
			if err != nil {
				return err
			}
			defer done()
			step := &stack.Down{Compose: p.Compose, Volumes: volumes}
			return pipeline.Run(cmd.Context(), ui.NewStatus(f.IO), []pipeline.Step{step})
		},
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&volumes, "volumes", false, "also delete the named volumes (asks first)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
