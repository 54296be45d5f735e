package stack

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// KeptBuilds is how many builds of an image up keeps besides the one in
// use: each build stays tagged by its content (c-...) so that going back
// to that content (a revert, another branch) reuses it without a build.
const KeptBuilds = 3

// dropOldBuilds removes the content and commit tags (c-..., g-...) of the
// builds of repo older than the KeptBuilds newest, and never those of the
// image current names: an image goes with its last name. Other names (a
// release tag, another repository's) keep their image. It returns how
// many builds lost their tags.
func dropOldBuilds(ctx context.Context, e Engine, repo, current string) (int, error) {
	inUse, err := e.ImageID(ctx, current)
	if err != nil {
		return 0, err
	}
	list, err := e.Images(ctx, repo)
	if err != nil {
		return 0, fmt.Errorf("listing the builds of %s: %w", repo, err)
	}
	var builds []ImageNames
	for _, img := range list {
		if img.ID != inUse && len(buildTags(img, repo)) > 0 {
			builds = append(builds, img)
		}
	}
	sort.Slice(builds, func(i, j int) bool {
		if !builds[i].Created.Equal(builds[j].Created) {
			return builds[i].Created.After(builds[j].Created)
		}
		return builds[i].ID < builds[j].ID
	})
	dropped := 0
	for _, img := range builds[min(KeptBuilds, len(builds)):] {
		for _, name := range buildTags(img, repo) {
			if err := e.Untag(ctx, name); err != nil {
				return dropped, fmt.Errorf("removing %s: %w", name, err)
			}
		}
		dropped++
	}
	return dropped, nil
}

// buildTags are the names of img that up gave it: repo:c-... and repo:g-....
func buildTags(img ImageNames, repo string) []string {
	var tags []string
	for _, name := range img.Names {
		if tag, ok := strings.CutPrefix(name, repo+":"); ok && (strings.HasPrefix(tag, "c-") || strings.HasPrefix(tag, "g-")) {
			tags = append(tags, name)
		}
	}
	return tags
}
