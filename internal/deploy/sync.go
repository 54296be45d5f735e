package deploy

import (
	"context"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/remote"
)

// syncProject copies the project directory to the host (nothing when the
// host's copy is the same).
type syncProject struct{ *run }

func (s syncProject) String() string { return "sync the project" }

func (s syncProject) Run(ctx context.Context, r pipeline.Reporter) error {
	step := &remote.SyncProject{Host: s.conn.Client, Src: s.t.Dir, Dest: s.conn.Dir}
	err := step.Run(ctx, r)
	s.res.Synced, s.synced = step.Changed, step.Hash
	return err
}
