package cli

import (
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/stack"
)

func newRunCmd(f *Factory) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:   "run <job>",
		Short: "Run a one-shot job (train, monitor) and stream its output",
		Long: `Run a job from mlforge.yaml's jobs (for example train or monitor) as a
one-off container of the stack, streaming its output; the exit code is the
job's.`,
		Args: exactArgs(1, "one argument, the job to run"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, cfg, err := loadProject(f, env)
			if err != nil {
				return err
			}
			job, ok := cfg.Jobs[args[0]]
			if !ok {
				names := make([]string, 0, len(cfg.Jobs))
				for n := range cfg.Jobs {
					names = append(names, n)
				}
				sort.Strings(names)
				return errs.WithHint(errs.Usage(fmt.Errorf("no job named %q in mlforge.yaml (jobs: %s)", args[0], strings.Join(names, ", "))),
					"declare it under jobs: in mlforge.yaml")
			}
			p := stack.NewLocal(dir, cfg, nil)
			err = p.Compose.Run(cmd.Context(), stack.RunArgs(job.Service), f.IO.Out, f.IO.ErrOut)
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				fmt.Fprintf(f.IO.ErrOut, "job %s exited with code %d\n", args[0], exit.ExitCode())
				return &errs.SilentError{Code: exit.ExitCode()}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment from mlforge.yaml (default: dev)")
	return cmd
}
