package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/ui"
)

// check is one doctor finding.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func newDoctorCmd(f *Factory) *cobra.Command {
	var env string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check what the targets need: pulumi, AWS credentials and region, Docker, Compose, ssh-agent",
		Long: `Check this machine for what mlforge's targets need and say how to fix what is
missing: the pulumi CLI and AWS credentials (STS caller identity) and region
for target aws, the Docker engine and Compose v2 for local builds, and an
ssh-agent for target ssh. Exits with status 1 when a check fails.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return doctorRun(cmd.Context(), f, env, asJSON) },
	}
	cmd.Flags().StringVar(&env, "env", "", "environment whose aws.region to check (default: dev)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	return cmd
}

func doctorRun(ctx context.Context, f *Factory, env string, asJSON bool) error {
	region := f.Deploy.Getenv("AWS_REGION")
	if region == "" {
		region = f.Deploy.Getenv("AWS_DEFAULT_REGION")
	}
	regionSource := "AWS_REGION"
	if _, cfg, err := loadProject(f, env); err == nil {
		region, regionSource = cfg.AWS.Region, "aws.region in mlforge.yaml"
	}
	checks := []check{checkPulumi(ctx, f.Deploy.Getenv), checkRegion(region, regionSource)}
	checks = append(checks, checkCredentials(ctx, f.Deploy, region), checkDocker(ctx), checkCompose(ctx), checkAgent(f.Deploy.Getenv))
	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
		}
	}
	if asJSON {
		if err := writeJSON(f.IO.Out, checks); err != nil {
			return err
		}
	} else {
		rows := [][]string{{"", "CHECK", "RESULT"}}
		for _, c := range checks {
			mark := "✓"
			if !c.OK {
				mark = "✗"
			}
			rows = append(rows, []string{mark, c.Name, c.Detail})
		}
		ui.Table(f.IO.Out, rows)
		for _, c := range checks {
			if !c.OK && c.Fix != "" {
				fmt.Fprintf(f.IO.Out, "\n%s: %s", c.Name, c.Fix)
			}
		}
		if failed > 0 {
			fmt.Fprintln(f.IO.Out)
		}
	}
	if failed > 0 {
		return &errs.SilentError{Code: 1}
	}
	return nil
}
