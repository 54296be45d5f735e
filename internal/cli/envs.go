package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/ui"
)

func newEnvsCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "envs",
		Short: "List the project's AWS environments with their state and cost",
		Long: `List every environment of the project in the state backend (aws.backend):
its region, its host's state and instance type, what it costs an hour now, and
what it still costs a month while stopped (volumes, addresses, bucket and
repositories). An environment without a host is "none".`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return envsRun(cmd.Context(), f, &tf, asJSON) },
	}
	tf.addEnv(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the environments as JSON")
	return cmd
}

func envsRun(ctx context.Context, f *Factory, tf *targetFlags, asJSON bool) error {
	if tf.Target == "" {
		tf.Target = deploy.AWS
	}
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	path, err := configPath(f, "")
	if err != nil {
		return err
	}
	raw, err := config.Load(path)
	if err != nil {
		return err
	}
	list, err := deploy.Environments(ctx, t, raw)
	if err != nil {
		return err
	}
	if asJSON {
		if list == nil {
			list = []deploy.EnvSummary{}
		}
		return writeJSON(f.IO.Out, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "%s has no environments in its backend yet: `mlforge up --target aws` creates one\n", t.Config.Project)
		return nil
	}
	rows := [][]string{{"ENV", "REGION", "STATE", "TYPE", "PER HOUR", "STOPPED PER MONTH", "NOTE"}}
	for _, e := range list {
		bound := ""
		if !e.Complete {
			bound = "≥"
		}
		rows = append(rows, []string{e.Env, e.Region, e.State, e.InstanceType, fmt.Sprintf("%s$%.4f", bound, e.PerHour),
			fmt.Sprintf("%s$%.2f", bound, e.StoppedPerMonth), e.Error})
	}
	ui.Table(f.IO.Out, rows)
	return nil
}
