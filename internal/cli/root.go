package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
)

// NewRoot builds the command tree. Register only commands that work.
func NewRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "mlforge",
		Short: "From an empty folder to a running train, deploy and monitor ML stack",
		Long: `mlforge scaffolds an ML project (MLflow tracking and registry, a model
server, drift monitoring with Prometheus and Grafana) and runs its stack on
local Docker, on any SSH server, or on AWS.

Results go to stdout and progress to stderr; commands that produce results
take --json.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return errs.WithHint(errs.Usage(err), "run '"+cmd.CommandPath()+" --help' for the flags")
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	root.AddGroup(
		&cobra.Group{ID: "project", Title: "Project commands:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	for _, c := range []*cobra.Command{newNewCmd(f), newInitCmd(f), newTemplatesCmd(f), newConfigCmd(f),
		newUpCmd(f), newDownCmd(f), newStatusCmd(f), newLogsCmd(f), newRunCmd(f),
		newTunnelCmd(f), newSSHCmd(f), newPreviewCmd(f), newCostCmd(f), newStopCmd(f), newStartCmd(f), newEnvsCmd(f), newDestroyCmd(f), newRefreshCmd(f), newOutputsCmd(f)} {
		c.GroupID = "project"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newBootstrapCmd(f), newDoctorCmd(f), newVersionCmd(f)} {
		c.GroupID = "other"
		root.AddCommand(c)
	}
	return root
}
