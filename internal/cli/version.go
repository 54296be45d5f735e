package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/buildinfo"
)

func newVersionCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := buildinfo.Get()
			if asJSON {
				return writeJSON(f.IO.Out, info)
			}
			fmt.Fprintf(f.IO.Out, "mlforge %s (commit %s, %s, %s)\n", info.Version, info.Commit, info.GoVersion, info.Platform)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
