package cli

import (
	"testing"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/iostreams"
)

func TestConfirmNeedsYesWithoutTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{IO: ios}
	err := confirm(f, false, "Destroy?", "pass --yes to destroy without a terminal")
	if !errs.IsUsage(err) || errs.Hint(err) != "pass --yes to destroy without a terminal" {
		t.Errorf("no terminal: %v (hint %q)", err, errs.Hint(err))
	}
	if err := confirm(f, true, "Destroy?", ""); err != nil {
		t.Errorf("--yes: %v", err)
	}
}
