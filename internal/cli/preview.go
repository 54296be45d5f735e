package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/cost"
	"github.com/mlforge/mlforge/internal/deploy"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/provision"
	awsstack "github.com/mlforge/mlforge/stacks/aws"
)

// PreviewOptions are the inputs of `mlforge preview`.
type PreviewOptions struct {
	targetFlags
	Offline         bool
	JSON            bool
	ExpectNoChanges bool
}

func newPreviewCmd(f *Factory) *cobra.Command {
	opts := &PreviewOptions{}
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "Show the AWS infrastructure changes mlforge up would make",
		Long: `Show, per resource, what mlforge up would create, update or delete for the
environment's AWS infrastructure (target aws).

With --offline the program runs under Pulumi's mocks: no credentials, no state,
no network. It prints every resource the environment consists of with its key
inputs, so a reviewer can read the whole plan in a pull request.

--expect-no-changes exits non-zero when changes are pending (drift checks in CI).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return previewRun(cmd.Context(), f, opts) },
	}
	fl := cmd.Flags()
	opts.addEnv(fl)
	fl.BoolVar(&opts.Offline, "offline", false, "plan under Pulumi mocks: no credentials, no network")
	fl.BoolVar(&opts.JSON, "json", false, "print the plan as JSON")
	fl.BoolVar(&opts.ExpectNoChanges, "expect-no-changes", false, "exit with status 1 when changes are pending")
	return cmd
}

type previewResult struct {
	Project   string             `json:"project"`
	Env       string             `json:"env"`
	Region    string             `json:"region"`
	Offline   bool               `json:"offline"`
	Count     int                `json:"count"`
	Resources []awsstack.Planned `json:"resources,omitempty"`
	Outputs   map[string]any     `json:"outputs,omitempty"`
	Changes   []provision.Change `json:"changes,omitempty"`
	Summary   map[string]int     `json:"summary,omitempty"`
	Cost      *costJSON          `json:"cost,omitempty"`
}

func previewRun(ctx context.Context, f *Factory, opts *PreviewOptions) error {
	t, err := opts.open(f)
	if err != nil {
		return err
	}
	if opts.Offline {
		return previewOffline(ctx, f, t, opts)
	}
	infra, setup, err := t.Infra(ctx, false)
	if err != nil {
		return err
	}
	plan, err := infra.Preview(ctx, nil)
	if err != nil {
		return err
	}
	cfg := t.Config
	price, err := deploy.Estimate(ctx, t, true)
	if err != nil {
		return err
	}
	res := previewResult{Project: cfg.Project, Env: cfg.Env, Region: setup.Region, Count: len(plan.Changes), Changes: plan.Changes, Summary: plan.Summary,
		Cost: &costJSON{JSONEstimate: price.JSON(), Measured: price.Measured, Instance: price.State}}
	if opts.JSON {
		if err := writeJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		printPlan(f, plan)
		fmt.Fprintf(f.IO.Out, "%s: %s\n\n", infra.Name(), summaryLine(plan.Summary))
		if err := cost.RenderTable(f.IO.Out, price.Estimate); err != nil {
			return err
		}
	}
	if opts.ExpectNoChanges && plan.HasChanges() {
		return errs.WithHint(fmt.Errorf("%d changes pending for %s", len(plan.Changes), infra.Name()),
			"the infrastructure differs from mlforge.yaml: run `mlforge up` to apply, or `mlforge refresh` if it was changed outside mlforge")
	}
	return nil
}

func previewOffline(ctx context.Context, f *Factory, t *deploy.Target, opts *PreviewOptions) error {
	plan, setup, err := t.OfflinePlan(ctx)
	if err != nil {
		return err
	}
	cfg := t.Config
	price, err := deploy.Estimate(ctx, t, false)
	if err != nil {
		return err
	}
	res := previewResult{Project: cfg.Project, Env: cfg.Env, Region: setup.Region, Offline: true,
		Count: len(plan.Resources), Resources: plan.Resources, Outputs: plan.Outputs,
		Cost: &costJSON{JSONEstimate: price.JSON()}}
	if opts.JSON {
		return writeJSON(f.IO.Out, res)
	}
	defer func() { fmt.Fprintln(f.IO.Out); cost.RenderTable(f.IO.Out, price.Estimate) }()
	fmt.Fprintf(f.IO.Out, "Offline plan for %s/%s in %s (Pulumi mocks, no AWS calls): %d resources to create\n",
		cfg.Project, cfg.Env, setup.Region, len(plan.Resources))
	if len(cfg.AWS.SSHCidrs) == 0 {
		fmt.Fprintf(f.IO.Out, "SSH is allowed from %s, standing for your address (detected as a /32 at up).\n", deploy.OfflineCIDR)
	}
	for _, r := range plan.Resources {
		fmt.Fprintf(f.IO.Out, "\n + %s %s\n", provision.ShortType(r.Type), r.Name)
		for _, kv := range keyInputs(r.Inputs) {
			fmt.Fprintf(f.IO.Out, "     %s\n", kv)
		}
		if len(r.IgnoreChanges) > 0 {
			fmt.Fprintf(f.IO.Out, "     (later changes of %s leave it as is)\n", strings.Join(r.IgnoreChanges, ", "))
		}
	}
	return nil
}

// keyInputs flattens inputs to sorted "path = value" lines, leaving out
// tags (the same on every resource) and shortening long values.
func keyInputs(in map[string]any) []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "tags" || k == "volumeTags" || k == "__defaults" {
					continue
				}
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		default:
			s := fmt.Sprint(v)
			// Policies are shown whole: they are what a reviewer checks.
			if len(s) > 100 && !strings.HasSuffix(strings.ToLower(prefix), "policy") {
				s = s[:97] + "..."
			}
			out = append(out, prefix+" = "+s)
		}
	}
	walk("", in)
	sort.Strings(out)
	return out
}

func summaryLine(s map[string]int) string {
	if len(s) == 0 {
		return "no changes"
	}
	var parts []string
	for _, op := range []string{"create", "update", "replace", "delete"} {
		if n := s[op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n, op))
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}
