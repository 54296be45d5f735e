package cli

import (
	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/ui"
)

func newTemplatesCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "List the project templates mlforge new can render",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := f.Templates()
			if err != nil {
				return err
			}
			list := cat.List()
			if asJSON {
				return writeJSON(f.IO.Out, list)
			}
			rows := [][]string{{"NAME", "DESCRIPTION"}}
			for _, m := range list {
				name := m.Name
				if m.Name == cat.Default() {
					name += " (default)"
				}
				rows = append(rows, []string{name, m.Description})
			}
			ui.Table(f.IO.Out, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
