package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
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
	cfg := t.Config
	infra, _, err := t.Infra(ctx, opts.DeleteData)
	if err != nil {
		return err
	}
	outs, err := infra.Outputs(ctx)
	if err != nil {
		return err
	}
	plan, err := infra.PreviewDestroy(ctx)
	if err != nil {
		return err
	}
	res := destroyResult{Project: cfg.Project, Env: cfg.Env, Removed: plan.Changes, Kept: []string{}}
	if !plan.HasChanges() {
		fmt.Fprintf(f.IO.ErrOut, "%s has nothing to destroy\n", infra.Name())
		if opts.JSON {
			return writeJSON(f.IO.Out, res)
		}
		return nil
	}
	shown := plan
	if !opts.DeleteData {
		// The data resources leave the stack but stay in AWS: list them as kept.
		res.Kept = dataOf(outs)
		shown = withoutData(plan)
		res.Removed = shown.Changes
	}
	printPlan(f, shown)
	question := fmt.Sprintf("Destroy %d resources of %s?", len(shown.Changes), infra.Name())
	if opts.DeleteData {
		question = fmt.Sprintf("Destroy %d resources of %s, DELETING the artifact bucket and image repositories with their contents?", len(plan.Changes), infra.Name())
	} else if len(res.Kept) > 0 {
		fmt.Fprintf(f.IO.ErrOut, " kept (data; --delete-data removes them): %v\n", res.Kept)
	}
	if err := confirm(f, opts.Yes, question, "pass --yes to destroy without a terminal"); err != nil {
		return err
	}
	progress := provision.NewProgressList(f.IO.ErrOut, f.IO.ColorEnabled())
	if opts.DeleteData {
		// Record force-delete and no-retain on the data resources only, so
		// destroy removes them with their contents.
		if err := infra.UpTargets(ctx, progress, dataURNs(plan)); err != nil {
			return fmt.Errorf("preparing the data for deletion: %w", err)
		}
	}
	if err := deploy.CancelSpotRequests(ctx, t, outs); err != nil {
		return err
	}
	if err := infra.Destroy(ctx, progress); err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	fmt.Fprintf(f.IO.Out, "%s destroyed: %s\n", infra.Name(), progress.Summary())
	for _, k := range res.Kept {
		fmt.Fprintf(f.IO.Out, "kept: %s\n", k)
	}
	return nil
}

// dataURNs are the bucket and repositories (with their side resources).
func dataURNs(plan *provision.Plan) []string {
	var urns []string
	for _, c := range plan.Changes {
		if strings.HasPrefix(c.Type, "aws:s3/") || strings.HasPrefix(c.Type, "aws:ecr/") {
			urns = append(urns, c.URN)
		}
	}
	return urns
}

// withoutData is plan minus the data resources.
func withoutData(plan *provision.Plan) *provision.Plan {
	data := map[string]bool{}
	for _, u := range dataURNs(plan) {
		data[u] = true
	}
	out := &provision.Plan{Summary: plan.Summary, Changes: []provision.Change{}}
	for _, c := range plan.Changes {
		if !data[c.URN] {
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}

// dataOf names the bucket and repositories found in the outputs.
func dataOf(outs map[string]provision.Output) []string {
	var kept []string
	if b, ok := outs[awsstack.OutBucket].Value.(string); ok && b != "" {
		kept = append(kept, "s3://"+b)
	}
	for _, u := range deploy.RepositoryURLs(outs) {
		kept = append(kept, u)
	}
	sort.Strings(kept)
	return kept
}
