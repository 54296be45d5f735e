package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/cost"
	"github.com/mlforge/mlforge/internal/deploy"
)

// costJSON is the --json shape of an estimate, with what it rests on.
type costJSON struct {
	cost.JSONEstimate
	Measured bool   `json:"measured"`
	Instance string `json:"instanceState,omitempty"`
}

func newCostCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON, offline bool
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Show what the AWS environment costs per hour and per month",
		Long: `Price the environment's AWS resources per hour and per month from the price
table in mlforge (its date is shown): the instances (on-demand, or spot when
aws.spot), their public addresses, the root and data volumes (gp3), and the
bucket and repositories at their measured size when the environment exists
(else at an assumed size, said so). A stopped environment is priced as what
it still costs. An instance type the table lacks is "unknown", never 0.

--offline prices mlforge.yaml's settings without reading the environment.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return costRun(cmd.Context(), f, &tf, asJSON, offline) },
	}
	tf.addEnv(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the estimate as JSON")
	cmd.Flags().BoolVar(&offline, "offline", false, "use mlforge.yaml's settings and assumed sizes only: no state, no AWS call")
	return cmd
}

func costRun(ctx context.Context, f *Factory, tf *targetFlags, asJSON, offline bool) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	p, err := deploy.Estimate(ctx, t, !offline)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(f.IO.Out, costJSON{JSONEstimate: p.JSON(), Measured: p.Measured, Instance: p.State})
	}
	return cost.RenderTable(f.IO.Out, p.Estimate)
}
