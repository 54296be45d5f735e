package deploy

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// dropReplaced removes, on the host, the images an up shipped over: an
// image loaded or pulled under a name the host had loses the old image
// its name, and nothing ever used it again (each change to the locks left
// about a gigabyte behind). Only images compose built for this project,
// without a name, that no container uses go: a host's other images stay.
type dropReplaced struct{ *run }

func (d dropReplaced) String() string { return "remove replaced images" }

func (d dropReplaced) Skip(ctx context.Context) (string, bool) {
	if len(d.res.Shipped) == 0 {
		return "nothing shipped", true
	}
	return "", false
}

func (d dropReplaced) Run(ctx context.Context, r pipeline.Reporter) error {
	filters := client.Filters{}.Add("dangling", "true").Add("label", "com.docker.compose.project="+d.model.Name)
	res, err := d.conn.Engine.Client().ImagePrune(ctx, client.ImagePruneOptions{Filters: filters})
	if err != nil {
		// The stack runs: a failed clean-up is said, not fatal.
		r.Println(fmt.Sprintf("   warning: replaced images stay on %s: %v", d.conn.Client.Address(), err))
		return nil
	}
	if freed := res.Report.SpaceReclaimed; freed > 0 {
		r.Update(fmt.Sprintf("%.1f MB freed", float64(freed)/1e6))
	} else {
		r.Update("none there")
	}
	return nil
}
