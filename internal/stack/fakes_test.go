package stack

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// fakeCompose answers compose invocations from a table of handlers keyed by
// the first non-global argument, and records every call.
type fakeCompose struct {
	mu       sync.Mutex
	calls    [][]string
	handlers map[string]func(args []string, stdout, stderr io.Writer) error
}

func (f *fakeCompose) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f.mu.Lock()
	f.calls = append(f.calls, args)
	f.mu.Unlock()
	verb := args[0]
	for i := 0; i < len(args); i++ {
		if args[i] == "--profile" {
			i++
			continue
		}
		verb = args[i]
		break
	}
	if h, ok := f.handlers[verb]; ok {
		return h(args, stdout, stderr)
	}
	return nil
}

func (f *fakeCompose) called(verb string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.Contains(strings.Join(c, " "), verb) {
			n++
		}
	}
	return n
}

// fakeEngine keeps images as name -> ID.
type fakeEngine struct {
	mu      sync.Mutex
	images  map[string]string
	tags    []string
	infoErr error
	health  []string
	// created is each image's creation time, by ID (zero when absent).
	created map[string]time.Time
	// inUse are image IDs a container runs: their last name stays.
	inUse map[string]bool
	// listed counts calls of Images.
	listed int
}

func (e *fakeEngine) Images(ctx context.Context, repo string) ([]ImageNames, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listed++
	byID := map[string]*ImageNames{}
	for ref, id := range e.images {
		if !strings.HasPrefix(ref, repo+":") {
			continue
		}
		if byID[id] == nil {
			byID[id] = &ImageNames{ID: id, Created: e.created[id]}
		}
		byID[id].Names = append(byID[id].Names, ref)
	}
	var out []ImageNames
	for _, img := range byID {
		sort.Strings(img.Names)
		out = append(out, *img)
	}
	return out, nil
}

func (e *fakeEngine) Untag(ctx context.Context, ref string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.images[ref]
	if !ok {
		return nil
	}
	names := 0
	for _, other := range e.images {
		if other == id {
			names++
		}
	}
	if names == 1 && e.inUse[id] {
		return nil
	}
	delete(e.images, ref)
	return nil
}

func (e *fakeEngine) Info(ctx context.Context) (EngineInfo, error) {
	return EngineInfo{Version: "26.1.5"}, e.infoErr
}

func (e *fakeEngine) ImageID(ctx context.Context, ref string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.images[ref], nil
}

func (e *fakeEngine) Tag(ctx context.Context, src, target string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.images[src]
	if !ok {
		return fmt.Errorf("no image %s", src)
	}
	e.images[target] = id
	e.tags = append(e.tags, target)
	return nil
}

func (e *fakeEngine) HealthLog(ctx context.Context, container string) ([]string, error) {
	return e.health, nil
}

// recorder is a pipeline.Reporter that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	updates []string
	lines   []string
}

func (r *recorder) Update(d string)  { r.mu.Lock(); r.updates = append(r.updates, d); r.mu.Unlock() }
func (r *recorder) Println(l string) { r.mu.Lock(); r.lines = append(r.lines, l); r.mu.Unlock() }
func (r *recorder) printed() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
