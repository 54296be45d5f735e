package stack

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// BuildImages builds the images whose content changed. Every built image is
// also tagged <repo>:c-<content hash> and <repo>:g-<git commit>; an image
// whose content tag exists is reused without a build. After a build, the
// builds of that image older than the KeptBuilds newest lose those tags.
type BuildImages struct {
	Engine  Engine
	Compose Compose
	Model   *Model
	Commit  string // short git commit, "" outside a repository
	// LocalPath maps a build context of the model to this machine, when
	// the model was read on a host that builds from a synced copy.
	LocalPath func(string) string
	// Meanwhile, when set, runs beside a build that has work to do (start
	// what needs no build); Run waits for what it returns.
	Meanwhile func(ctx context.Context) (wait func())

	// Built and Reused are filled by Run, by image reference.
	Built, Reused []string
}

func (b *BuildImages) String() string { return "build images" }

// imageJob is one image to produce, possibly for several services.
type imageJob struct {
	ref      string
	services []string
	hash     string
}

// Run implements pipeline.Step.
func (b *BuildImages) Run(ctx context.Context, r pipeline.Reporter) error {
	jobs, err := b.plan()
	if err != nil {
		return err
	}
	var build []imageJob
	for _, j := range jobs {
		id, err := b.Engine.ImageID(ctx, contentTag(j))
		if err != nil {
			return fmt.Errorf("inspecting %s: %w", contentTag(j), err)
		}
		if id == "" {
			build = append(build, j)
			continue
		}
		if cur, _ := b.Engine.ImageID(ctx, j.ref); cur != id {
			if err := b.Engine.Tag(ctx, contentTag(j), j.ref); err != nil {
				return err
			}
		}
		b.Reused = append(b.Reused, j.ref)
	}
	if len(build) > 0 {
		if b.Meanwhile != nil {
			wait := b.Meanwhile(ctx)
			defer wait()
		}
		if err := b.build(ctx, r, build); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		if b.Commit != "" {
			if err := b.Engine.Tag(ctx, j.ref, repo(j.ref)+":g-"+b.Commit); err != nil {
				return err
			}
		}
	}
	msg := fmt.Sprintf("%d built, %d unchanged", len(b.Built), len(b.Reused))
	if dropped := b.dropOld(ctx, r, build); dropped > 0 {
		msg += fmt.Sprintf(", %d older builds removed", dropped)
	}
	r.Update(msg)
	return nil
}

// dropOld removes the builds of the images just built past KeptBuilds:
// each build leaves the one before it tagged (a template or dependency
// change leaves about a gigabyte behind). A failure is a warning.
func (b *BuildImages) dropOld(ctx context.Context, r pipeline.Reporter, built []imageJob) int {
	dropped := 0
	for _, j := range built {
		n, err := dropOldBuilds(ctx, b.Engine, repo(j.ref), j.ref)
		if err != nil {
			r.Println(fmt.Sprintf("   warning: old builds of %s stay: %v", repo(j.ref), err))
		}
		dropped += n
	}
	return dropped
}

func (b *BuildImages) plan() ([]imageJob, error) {
	byRef := map[string]*imageJob{}
	for _, s := range b.Model.Built() {
		ref := b.Model.ImageRef(s)
		build := *s.Build
		if b.LocalPath != nil {
			build.Context = b.LocalPath(build.Context)
		}
		hash, err := ContentHash(&build)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		if j, ok := byRef[ref]; ok {
			if j.hash != hash {
				return nil, fmt.Errorf("services %s and %s share the image %s but build it differently: give each its own image name",
					j.services[0], s.Name, ref)
			}
			j.services = append(j.services, s.Name)
			continue
		}
		byRef[ref] = &imageJob{ref: ref, services: []string{s.Name}, hash: hash}
	}
	jobs := make([]imageJob, 0, len(byRef))
	for _, j := range byRef {
		jobs = append(jobs, *j)
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].ref < jobs[k].ref })
	return jobs, nil
}

func (b *BuildImages) build(ctx context.Context, r pipeline.Reporter, jobs []imageJob) error {
	args := []string{"build"}
	var names []string
	for _, j := range jobs {
		args = append(args, j.services[0])
		names = append(names, j.services[0])
	}
	r.Update("building " + strings.Join(names, ", "))
	out := &syncBuffer{}
	lw := &lastLine{update: func(l string) { r.Update("building " + strings.Join(names, ", ") + ": " + l) }}
	if err := b.Compose.Run(ctx, args, multi(out, lw), multi(out, lw)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.Println(ui.Indent(tail(out.String(), 30), "   | "))
		return fmt.Errorf("building %s: %w", strings.Join(names, ", "), err)
	}
	for _, j := range jobs {
		if err := b.Engine.Tag(ctx, j.ref, contentTag(j)); err != nil {
			return fmt.Errorf("tagging %s: %w", j.ref, err)
		}
		b.Built = append(b.Built, j.ref)
	}
	return nil
}

func contentTag(j imageJob) string { return repo(j.ref) + ":c-" + j.hash[:12] }

// repo strips the tag from an image reference (keeping a registry port).
func repo(ref string) string {
	if at := strings.Index(ref, "@"); at >= 0 {
		ref = ref[:at]
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref[:colon]
	}
	return ref
}
