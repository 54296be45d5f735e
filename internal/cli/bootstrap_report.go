package cli

import (
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

func printBootstrap(f *Factory, asJSON bool, results []*bootstrap.Result, failures []error) error {
	if asJSON {
		return writeJSON(f.IO.Out, map[string]any{"hosts": results})
	}
	rows := [][]string{{"HOST", "OS", "DOCKER", "COMPOSE", "RESULT"}}
	for i, r := range results {
		state := "unchanged"
		switch {
		case failures[i] != nil:
			state = "failed"
		case r.Changed:
			state = "changed"
		}
		rows = append(rows, []string{r.Host, r.OS, r.Docker, r.Compose, state})
	}
	ui.Table(f.IO.Out, rows)
	return nil
}

// bootstrapError combines per-host errors, with a hint for the next step.
func bootstrapError(n int, failures []error) error {
	var failed []error
	for _, err := range failures {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	err := failed[0]
	if n > 1 {
		lines := make([]string, len(failed))
		for i, e := range failed {
			lines[i] = "  " + strings.ReplaceAll(e.Error(), "\n", "\n  ")
		}
		err = fmt.Errorf("bootstrap failed on %d of %d hosts:\n%s", len(failed), n, strings.Join(lines, "\n"))
	}
	hint := sshx.Hint(failed[0])
	if hint == "" {
		hint = "fix the cause above and run the same command again: bootstrap skips what is already done"
	}
	return errs.WithHint(err, hint)
}
