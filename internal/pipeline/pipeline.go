// Package pipeline runs a list of named steps with one status line each.
// Targets decide the list; steps stay small and testable on their own.
package pipeline

import (
	"context"
	"fmt"
)

// Step is one named unit of work.
type Step interface {
	// String names the step as the user sees it ("build images").
	String() string
	// Run does the work; it may report details through the Reporter.
	Run(ctx context.Context, r Reporter) error
}

// Skipper is implemented by steps that can tell they have nothing to do.
type Skipper interface {
	// Skip returns a reason when the step should not run.
	Skip(ctx context.Context) (reason string, skip bool)
}

// Reporter is the part of the status renderer a step may use.
type Reporter interface {
	// Update shows a detail next to the running step.
	Update(detail string)
	// Println prints a line without breaking the status display.
	Println(line string)
}

// Status is what the runner needs from a renderer (ui.Status satisfies it).
type Status interface {
	Reporter
	Start(step string)
	End(err error)
	Skip(reason string)
}

// Run executes steps in order and stops at the first error, wrapped with the
// step's name. A cancelled context stops before the next step.
func Run(ctx context.Context, st Status, steps []Step) error {
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.Start(s.String())
		if sk, ok := s.(Skipper); ok {
			if reason, skip := sk.Skip(ctx); skip {
				st.Skip(reason)
				continue
			}
		}
		if err := s.Run(ctx, st); err != nil {
			st.End(err)
			return fmt.Errorf("%s: %w", s, err)
		}
		st.End(nil)
	}
	return nil
}
