package stack

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sort"
	"testing"
	"time"
)

// The builds of an image past the KeptBuilds newest lose their content
// and commit tags, and with them the image; the one in use, other names
// and other repositories stay.
func TestDropOldBuilds(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name    string
		images  map[string]string // ref -> ID
		created map[string]time.Time
		inUse   map[string]bool
		dropped int
		left    []string
	}{
		{
			name: "six builds: the one in use and the three newest stay",
			images: map[string]string{
				"p-jobs:latest": "id6", "p-jobs:c-6": "id6", "p-jobs:g-f": "id6",
				"p-jobs:c-5": "id5", "p-jobs:g-e": "id5",
				"p-jobs:c-4": "id4", "p-jobs:c-3": "id3",
				"p-jobs:c-2": "id2", "p-jobs:g-b": "id2",
				"p-jobs:c-1": "id1", "p-jobs:g-a": "id1",
				"p-serve:c-1": "sid1", // another repository
			},
			created: map[string]time.Time{"id1": at(1), "id2": at(2), "id3": at(3), "id4": at(4), "id5": at(5), "id6": at(6), "sid1": at(0)},
			dropped: 2,
			left:    []string{"p-jobs:c-3", "p-jobs:c-4", "p-jobs:c-5", "p-jobs:c-6", "p-jobs:g-e", "p-jobs:g-f", "p-jobs:latest", "p-serve:c-1"},
		},
		{
			name: "the image in use is kept however old (a build reused after a revert)",
			images: map[string]string{
				"p-jobs:latest": "id1", "p-jobs:c-1": "id1",
				"p-jobs:c-2": "id2", "p-jobs:c-3": "id3", "p-jobs:c-4": "id4", "p-jobs:c-5": "id5",
			},
			created: map[string]time.Time{"id1": at(1), "id2": at(2), "id3": at(3), "id4": at(4), "id5": at(5)},
			dropped: 1,
			left:    []string{"p-jobs:c-1", "p-jobs:c-3", "p-jobs:c-4", "p-jobs:c-5", "p-jobs:latest"},
		},
		{
			name: "names up did not give stay, with their image",
			images: map[string]string{
				"p-jobs:latest": "id5", "p-jobs:c-5": "id5", "p-jobs:c-4": "id4", "p-jobs:c-3": "id3", "p-jobs:c-2": "id2",
				"p-jobs:c-1": "id1", "p-jobs:v1.0": "id1",
			},
			created: map[string]time.Time{"id1": at(1), "id2": at(2), "id3": at(3), "id4": at(4), "id5": at(5)},
			dropped: 1,
			left:    []string{"p-jobs:c-2", "p-jobs:c-3", "p-jobs:c-4", "p-jobs:c-5", "p-jobs:latest", "p-jobs:v1.0"},
		},
		{
			name: "a build a container still runs keeps its last name",
			images: map[string]string{
				"p-jobs:latest": "id5", "p-jobs:c-5": "id5", "p-jobs:c-4": "id4", "p-jobs:c-3": "id3", "p-jobs:c-2": "id2",
				"p-jobs:c-1": "id1", "p-jobs:g-a": "id1",
			},
			created: map[string]time.Time{"id1": at(1), "id2": at(2), "id3": at(3), "id4": at(4), "id5": at(5)},
			inUse:   map[string]bool{"id1": true},
			dropped: 1,
			left:    []string{"p-jobs:c-2", "p-jobs:c-3", "p-jobs:c-4", "p-jobs:c-5", "p-jobs:g-a", "p-jobs:latest"},
		},
		{
			name:    "few builds: nothing goes",
			images:  map[string]string{"p-jobs:latest": "id2", "p-jobs:c-2": "id2", "p-jobs:c-1": "id1"},
			created: map[string]time.Time{"id1": at(1), "id2": at(2)},
			left:    []string{"p-jobs:c-1", "p-jobs:c-2", "p-jobs:latest"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &fakeEngine{images: tc.images, created: tc.created, inUse: tc.inUse}
			dropped, err := dropOldBuilds(context.Background(), e, "p-jobs", "p-jobs:latest")
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for ref := range e.images {
				left = append(left, ref)
			}
			sort.Strings(left)
			if dropped != tc.dropped || !reflect.DeepEqual(left, tc.left) {
				t.Errorf("dropped %d, left %v; want %d, %v", dropped, left, tc.dropped, tc.left)
			}
		})
	}
}

// Building again and again keeps the newest builds tagged, and says how
// many it removed; an up that builds nothing lists no images.
func TestBuildImagesDropsOldBuilds(t *testing.T) {
	dir := t.TempDir()
	model := &Model{Name: "p", Services: map[string]Service{
		"a": {Name: "a", Build: &Build{Context: dir, Dockerfile: "Dockerfile"}},
	}}
	e := &fakeEngine{images: map[string]string{}, created: map[string]time.Time{}}
	builds := 0
	c := &fakeCompose{handlers: map[string]func([]string, io.Writer, io.Writer) error{
		"build": func([]string, io.Writer, io.Writer) error {
			builds++
			id := fmt.Sprintf("sha256:%d", builds)
			e.images[model.ImageRef(model.Services["a"])] = id
			e.created[id] = time.Unix(int64(builds), 0)
			return nil
		},
	}}
	var last *recorder
	for i := 1; i <= 7; i++ {
		writeTree(t, dir, map[string]string{"Dockerfile": fmt.Sprintf("FROM x\nRUN echo %d\n", i)})
		last = &recorder{}
		if err := (&BuildImages{Engine: e, Compose: c, Model: model, Commit: fmt.Sprintf("c%d", i)}).Run(context.Background(), last); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	for _, id := range e.images {
		ids[id] = true
	}
	if builds != 7 || len(ids) != 1+KeptBuilds || ids["sha256:3"] || !ids["sha256:4"] || !ids["sha256:7"] {
		t.Errorf("after 7 builds: %d builds, images left %v", builds, ids)
	}
	if got := last.updates[len(last.updates)-1]; got != "1 built, 0 unchanged, 1 older builds removed" {
		t.Errorf("last update %q", got)
	}
	listed := e.listed
	if err := (&BuildImages{Engine: e, Compose: c, Model: model}).Run(context.Background(), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if builds != 7 || e.listed != listed {
		t.Errorf("an up with nothing to build built %d times and listed images %d times", builds-7, e.listed-listed)
	}
}
