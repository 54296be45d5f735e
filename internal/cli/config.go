package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
)

func newConfigCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check mlforge.yaml or print its JSON Schema",
	}
	cmd.AddCommand(newConfigValidateCmd(f), newConfigSchemaCmd(f))
	return cmd
}

type validateResult struct {
	File    string        `json:"file"`
	Valid   bool          `json:"valid"`
	Project string        `json:"project,omitempty"`
	Target  string        `json:"target,omitempty"`
	Errors  []configIssue `json:"errors"`
}

type configIssue struct {
	Line    int    `json:"line"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func newConfigValidateCmd(f *Factory) *cobra.Command {
	var file string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check mlforge.yaml: unknown keys, bad values, with line numbers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := configPath(f, file)
			if errors.Is(err, config.ErrNotFound) {
				return errs.WithHint(err, "run this inside a project created by `mlforge new`, or pass --file")
			}
			if err != nil {
				return err
			}
			cfg, err := config.Load(path)
			res := validateResult{File: path, Valid: err == nil, Errors: []configIssue{}}
			var list config.Errors
			switch {
			case err == nil:
				res.Project, res.Target = cfg.Project, cfg.Target
			case errors.As(err, &list):
				for _, e := range list {
					res.Errors = append(res.Errors, configIssue{Line: e.Line, Path: e.Path, Message: e.Msg})
				}
			default:
				return err
			}
			if asJSON {
				if werr := writeJSON(f.IO.Out, res); werr != nil {
					return werr
				}
				if err != nil {
					return &errs.SilentError{Code: 1}
				}
				return nil
			}
			if err != nil {
				return errs.WithHint(err, "fix the lines above; `mlforge config schema` prints every key with its description")
			}
			fmt.Fprintf(f.IO.Out, "%s is valid (project %s, target %s)\n", path, cfg.Project, cfg.Target)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "configuration file (default: mlforge.yaml in this directory or a parent)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// configPath returns file, or the mlforge.yaml found from the working
// directory upwards.
func configPath(f *Factory, file string) (string, error) {
	if file != "" {
		return file, nil
	}
	wd, err := f.Getwd()
	if err != nil {
		return "", err
	}
	dir, err := config.Find(wd)
	if errors.Is(err, config.ErrNotFound) {
		return "", errs.WithHint(err, "run this inside a project created by `mlforge new`")
	}
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, config.FileName), nil
}

func newConfigSchemaCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of mlforge.yaml (for editors)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := f.IO.Out.Write(config.Schema())
			return err
		},
	}
}
