package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/stack"
)

func newRunCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var flow bool
	cmd := &cobra.Command{
		Use:   "run <job> | run --flow <flow>",
		Short: "Run a one-shot job (train, monitor) and stream its output, or start an orchestrator flow",
		Long: `Run a job from mlforge.yaml's jobs (for example train or monitor) as a
one-off container of the stack, streaming its output; the exit code is the
job's.

With --flow, start a run of one of the orchestrator's flows instead (the
service with role orchestrator; FLOW/DEPLOYMENT or a deployment name such as
retrain or monitor), wait until it ends and print how: exit 0 when it
completed.`,
		Args: exactArgs(1, "one argument, the job (or with --flow the flow) to run"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if flow {
				return flowRun(cmd.Context(), f, &tf, args[0])
			}
			return jobRun(cmd.Context(), f, &tf, args[0])
		},
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&flow, "flow", false, "start a flow of the orchestrator (the service with role orchestrator) and wait for it")
	return cmd
}

func jobRun(ctx context.Context, f *Factory, tf *targetFlags, name string) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	job, ok := t.Config.Jobs[name]
	if !ok {
		names := make([]string, 0, len(t.Config.Jobs))
		for n := range t.Config.Jobs {
			names = append(names, n)
		}
		sort.Strings(names)
		return errs.WithHint(errs.Usage(fmt.Errorf("no job named %q in mlforge.yaml (jobs: %s)", name, strings.Join(names, ", "))),
			"declare it under jobs: in mlforge.yaml, or start an orchestrator flow with --flow")
	}
	if t.IsSwarm() {
		return swarmRunJob(ctx, f, t, name)
	}
	p, err := t.Project(ctx)
	if err != nil {
		return err
	}
	err = p.Compose.Run(ctx, stack.RunArgs(job.Service), f.IO.Out, f.IO.ErrOut)
	if code, ok := exitCode(err); ok {
		fmt.Fprintf(f.IO.ErrOut, "job %s exited with code %d\n", name, code)
		return &errs.SilentError{Code: code}
	}
	return err
}

func flowRun(ctx context.Context, f *Factory, tf *targetFlags, name string) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	svc, port := stack.OrchestratorService(t.Config.Config)
	if svc == "" || port == 0 {
		return errs.WithHint(errs.Usage(errors.New("the stack has no orchestrator (a service with role orchestrator and a port in mlforge.yaml)")),
			"run a job instead: mlforge run JOB")
	}
	p, err := t.Project(ctx)
	if err != nil {
		return err
	}
	r, err := stack.RunFlow(ctx, p.Prober, port, name, func(state string) { fmt.Fprintf(f.IO.ErrOut, " • %s: %s\n", name, strings.ToLower(state)) })
	if err != nil {
		return errs.WithHint(err, "`mlforge status` lists the flows; `mlforge logs "+svc+"` shows the orchestrator's")
	}
	fmt.Fprintln(f.IO.Out, lastRun(r))
	if r.State != "COMPLETED" {
		return &errs.SilentError{Code: 1}
	}
	return nil
}

// exitCode extracts a command's exit status from a local or remote run.
func exitCode(err error) (int, bool) {
	var local *exec.ExitError
	if errors.As(err, &local) {
		return local.ExitCode(), true
	}
	var remote *ssh.ExitError
	if errors.As(err, &remote) {
		return remote.ExitStatus(), true
	}
	return 0, false
}
