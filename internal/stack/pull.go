package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
)

// pullMissing pulls the images of services that are not built and not on
// the engine yet, so that an image no registry serves is named with its
// service instead of surfacing as compose's raw registry error.
func pullMissing(ctx context.Context, e Engine, c Compose, images map[string]string, r pipeline.Reporter) error {
	var missing []string
	for _, name := range sortedNames(images) {
		id, err := e.ImageID(ctx, images[name])
		if err != nil {
			return fmt.Errorf("inspecting %s: %w", images[name], err)
		}
		if id == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	r.Update("pulling " + strings.Join(missing, ", "))
	out := &syncBuffer{}
	pullErr := c.Run(ctx, append([]string{"pull", "--quiet"}, missing...), out, out)
	if pullErr == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var failed, names []string
	for _, name := range missing {
		if id, err := e.ImageID(ctx, images[name]); err == nil && id == "" {
			failed = append(failed, fmt.Sprintf("service %s: image %s", name, images[name]))
			names = append(names, name)
		}
	}
	if len(failed) == 0 {
		return fmt.Errorf("pulling images: %w\n%s", pullErr, tail(out.String(), 10))
	}
	first := names[0]
	return errs.WithHint(fmt.Errorf("cannot pull the image of %s (%s)", strings.Join(failed, "; "), finalLine(out.String())),
		fmt.Sprintf("start without it: `mlforge up --skip %s`, or set services.%s.skip: true in mlforge.yaml to leave it out for good; or make the image available (a registry mirror, or `docker load`)", first, first))
}

// finalLine is the last non-empty line of s.
func finalLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
