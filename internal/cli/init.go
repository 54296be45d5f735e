package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/adopt"
	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/ui"
)

func newInitCmd(f *Factory) *cobra.Command {
	var yes, asJSON bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Bring an existing compose project under mlforge: write its mlforge.yaml",
		Long: `Read the compose project in this directory through compose itself and
propose an mlforge.yaml: its services with their published ports, health
checks (from the compose healthcheck where it probes HTTP) and roles guessed
from well-known images and commands (MLflow, Prometheus, Grafana,
Pushgateway, Prefect; from a service's own name when other services run its
image too), and its one-shot services as jobs. The proposal is shown and confirmed on a
terminal (--yes takes it as is). Nothing else is added, and an existing
mlforge.yaml is never overwritten.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return initRun(cmd.Context(), f, yes, asJSON) },
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "write the proposal without asking")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the proposal as JSON (with --yes, after writing it)")
	return cmd
}

func initRun(ctx context.Context, f *Factory, yes, asJSON bool) error {
	dir, err := f.Getwd()
	if err != nil {
		return err
	}
	file := filepath.Join(dir, config.FileName)
	if _, err := os.Lstat(file); !errors.Is(err, fs.ErrNotExist) {
		return errs.WithHint(fmt.Errorf("%s already exists: nothing written", file),
			"mlforge init never overwrites it: `mlforge config validate` checks it; remove it to start over")
	}
	plan, err := adopt.Inspect(ctx, dir)
	if err != nil {
		return errs.WithHint(err, "run it in the directory of the project's compose file (docker compose config must work there)")
	}
	if asJSON {
		if err := writeJSON(f.IO.Out, plan); err != nil {
			return err
		}
	} else {
		printAdoption(f, plan)
	}
	if err := confirm(f, yes, "Write "+config.FileName+"?", "pass --yes to write it without a terminal"); err != nil {
		return err
	}
	if err := plan.Write(); err != nil {
		return err
	}
	if !asJSON {
		fmt.Fprintf(f.IO.Out, "\nWrote %s. Next: `mlforge up`, then `mlforge status`.\n", plan.File)
	}
	return nil
}

func printAdoption(f *Factory, p *adopt.Plan) {
	fmt.Fprintf(f.IO.Out, "Project %s, compose file %s\n\n", p.Project, p.ComposeFile)
	rows := [][]string{{"SERVICE", "ROLE", "PORT", "HEALTH", "WHY"}}
	for _, s := range p.Services {
		port := ""
		if s.Port != 0 {
			port = fmt.Sprint(s.Port)
		}
		rows = append(rows, []string{s.Name, s.Role, port, s.Health, s.RoleReason})
	}
	for _, j := range p.Jobs {
		rows = append(rows, []string{j.Name, "job", "", "", j.Reason})
	}
	for _, s := range p.Skipped {
		rows = append(rows, []string{s.Name, "-", "", "", s.Reason})
	}
	ui.Table(f.IO.Out, rows)
	for _, n := range p.Notes {
		fmt.Fprintf(f.IO.Out, "\nnote: %s\n", n)
	}
	fmt.Fprintf(f.IO.Out, "\n%s:\n%s\n", config.FileName, ui.Indent(strings.TrimRight(string(p.YAML), "\n"), "  "))
}
