package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/ui"
)

func newOutputsCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "outputs",
		Short: "Print the AWS environment's outputs (host address, bucket, repositories)",
		Long: `Print the outputs of the environment's AWS stack: instance id, public address
and DNS name, SSH user, pinned host-key fingerprint, artifact bucket and ECR
repository URLs. Nothing is changed and no AWS call is made. Secret outputs
are shown as [secret].`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return outputsRun(cmd.Context(), f, &tf, asJSON)
		},
	}
	fl := cmd.Flags()
	tf.addEnv(fl)
	fl.BoolVar(&asJSON, "json", false, "print the outputs as JSON")
	return cmd
}

func outputsRun(ctx context.Context, f *Factory, tf *targetFlags, asJSON bool) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	out, name, err := t.Outputs(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		plain := make(map[string]any, len(out))
		for k, v := range out {
			plain[k] = v.Value
		}
		return writeJSON(f.IO.Out, plain)
	}
	if len(out) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "%s has no outputs: nothing is provisioned (run mlforge up)\n", name)
		return nil
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := [][]string{{"OUTPUT", "VALUE"}}
	for _, k := range keys {
		v := out[k].Value
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		rows = append(rows, []string{k, s})
	}
	ui.Table(f.IO.Out, rows)
	return nil
}
