package stack

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// Down stops and removes the project's containers and networks, and its
// named volumes when asked.
type Down struct {
	Compose Compose
	Volumes bool
}

func (d *Down) String() string {
	if d.Volumes {
		return "stop the stack and delete its volumes"
	}
	return "stop the stack"
}

// Run implements pipeline.Step.
func (d *Down) Run(ctx context.Context, r pipeline.Reporter) error {
	args := []string{"--profile", "*", "down", "--remove-orphans"}
	if d.Volumes {
		args = append(args, "--volumes")
	}
	out := &syncBuffer{}
	if err := d.Compose.Run(ctx, args, out, out); err != nil {
		r.Println(ui.Indent(tail(out.String(), 20), "   | "))
		return err
	}
	return nil
}
