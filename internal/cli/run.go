package cli

import (
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
	cmd := &cobra.Command{
		Use:   "run <job>",
		Short: "Run a one-shot job (train, monitor) and stream its output",
		Long: `Run a job from mlforge.yaml's jobs (for example train or monitor) as a
one-off container of the stack, streaming its output; the exit code is the
job's.`,
		Args: exactArgs(1, "one argument, the job to run"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := tf.open(f)
			if err != nil {
				return err
			}
			defer t.Close()
			job, ok := t.Config.Jobs[args[0]]
			if !ok {
				names := make([]string, 0, len(t.Config.Jobs))
				for n := range t.Config.Jobs {
					names = append(names, n)
				}
				sort.Strings(names)
				return errs.WithHint(errs.Usage(fmt.Errorf("no job named %q in mlforge.yaml (jobs: %s)", args[0], strings.Join(names, ", "))),
					"declare it under jobs: in mlforge.yaml")
			}
			if t.IsSwarm() {
				return swarmRunJob(cmd.Context(), f, t, args[0])
			}
			p, err := t.Project(cmd.Context())
			if err != nil {
				return err
			}
			err = p.Compose.Run(cmd.Context(), stack.RunArgs(job.Service), f.IO.Out, f.IO.ErrOut)
			if code, ok := exitCode(err); ok {
				fmt.Fprintf(f.IO.ErrOut, "job %s exited with code %d\n", args[0], code)
				return &errs.SilentError{Code: code}
			}
			return err
		},
	}
	tf.add(cmd.Flags())
	return cmd
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
