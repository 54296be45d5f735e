package cli

import (
	"errors"
	"fmt"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/ui"
	"github.com/mlforge/mlforge/provision"
)

// confirm asks on a terminal; without one it requires --yes.
func confirm(f *Factory, yes bool, question, flagHint string) error {
	if yes {
		return nil
	}
	ok, err := ui.NewPrompter(f.IO).Confirm(question)
	if errors.Is(err, ui.ErrNoPrompt) {
		return errs.WithHint(errs.Usage(errors.New("confirmation needed and stdin is not a terminal")), flagHint)
	}
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("cancelled: nothing was changed")
	}
	return nil
}

// printPlan lists planned changes on stderr, one resource a line.
func printPlan(f *Factory, plan *provision.Plan) {
	marks := map[string]string{"create": "+", "delete": "-", "update": "~", "replace": "+-", "create-replacement": "+-", "delete-replaced": "-+"}
	for _, c := range plan.Changes {
		m := marks[c.Op]
		if m == "" {
			m = " "
		}
		fmt.Fprintf(f.IO.ErrOut, " %-2s %-8s %s %s\n", m, c.Op, provision.ShortType(c.Type), c.Name)
	}
}
