package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
	"github.com/mlforge/mlforge/internal/ui"
)

func newDownCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var volumes, yes, leave bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the stack's containers (volumes are kept)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(f)
			if err != nil {
				return err
			}
			defer t.Close()
			if volumes {
				question := fmt.Sprintf("Delete the volumes of %s (MLflow runs and models, metrics, predictions)?", t.Config.ComposeProject())
				if err := confirm(f, yes, question, "--volumes deletes data: pass --yes to confirm without a terminal"); err != nil {
					return err
				}
			}
			if leave || t.IsSwarm() {
				return swarmDown(cmd.Context(), f, t, volumes, leave)
			}
			p, err := t.Project(cmd.Context())
			if err != nil {
				return err
			}
			step := &stack.Down{Compose: p.Compose, Volumes: volumes}
			return pipeline.Run(cmd.Context(), ui.NewStatus(f.IO), []pipeline.Step{step})
		},
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&volumes, "volumes", false, "also delete the named volumes (asks first)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&leave, "leave", false, "target swarm: also dissolve the swarm (the hosts leave it; Docker, images and volumes stay)")
	return cmd
}
