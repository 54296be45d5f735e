package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/provision"
)

// DestroyOptions are the inputs of `mlforge destroy`.
type DestroyOptions struct {
	targetFlags
	Yes        bool
	DeleteData bool
	JSON       bool
}

func newDestroyCmd(f *Factory) *cobra.Command {
	opts := &DestroyOptions{}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Remove the environment's AWS infrastructure",
		Long: `Remove the environment's AWS infrastructure: the host, its security group,
key pair and role. (mlforge down stops the stack and keeps the infrastructure.)

The artifact bucket and the image repositories hold data: they are kept (and
forgotten by the stack) unless --delete-data is given, which deletes them with
their contents. The list of what goes is shown first; on a terminal you are
asked, otherwise --yes is required.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return destroyRun(cmd.Context(), f, opts) },
	}
	fl := cmd.Flags()
	opts.addEnv(fl)
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&opts.DeleteData, "delete-data", false, "also delete the artifact bucket and image repositories with their contents")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

type destroyResult struct {
	Project string             `json:"project"`
	Env     string             `json:"env"`
	Removed []provision.Change `json:"removed"`
	Kept    []string           `json:"kept"`
}

func destroyRun(ctx context.Context, f *Factory, opts *DestroyOptions) error {
	t, err := opts.open(f)
	if err != nil {
		return err
	}
	plan, err := deploy.PlanDestroy(ctx, t, opts.DeleteData)
	if err != nil {
		return err
	}
	res := destroyResult{Project: t.Config.Project, Env: t.Config.Env, Removed: plan.Removed, Kept: plan.Kept}
	if len(plan.Removed) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "%s has nothing to destroy\n", plan.Name)
		if opts.JSON {
			return writeJSON(f.IO.Out, res)
		}
		return nil
	}
	printPlan(f, &provision.Plan{Changes: plan.Removed})
	question := fmt.Sprintf("Destroy %d resources of %s?", len(plan.Removed), plan.Name)
	if opts.DeleteData {
		question = fmt.Sprintf("Destroy %d resources of %s, DELETING the artifact bucket, image repositories and data volume with their contents?", len(plan.Removed), plan.Name)
	} else if len(plan.Kept) > 0 {
		fmt.Fprintf(f.IO.ErrOut, " kept (data; --delete-data removes them): %v\n", plan.Kept)
	}
	if err := confirm(f, opts.Yes, question, "pass --yes to destroy without a terminal"); err != nil {
		return err
	}
	progress := provision.NewProgressList(f.IO.ErrOut, f.IO.ColorEnabled())
	if err := deploy.Destroy(ctx, t, plan, progress); err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	fmt.Fprintf(f.IO.Out, "%s destroyed: %s\n", plan.Name, progress.Summary())
	for _, k := range plan.Kept {
		fmt.Fprintf(f.IO.Out, "kept: %s\n", k)
	}
	return nil
}
