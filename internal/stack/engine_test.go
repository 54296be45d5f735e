package stack

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// Against the real engine: Images lists a repository's names, Untag takes
// an image with its last name and keeps one a container uses, and
// dropOldBuilds leaves the image in use and the KeptBuilds newest.
func TestEngineDropsOldBuilds(t *testing.T) {
	testenv.RequireDocker(t)
	repo := "mlft-" + testenv.Name(t)
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", repo).Output()
		for _, ref := range strings.Fields(string(out)) {
			_ = exec.Command("docker", "rmi", "-f", ref).Run()
		}
	})
	ctx := context.Background()
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Six builds with no layers (a label each), tagged as up tags them.
	for i := 1; i <= 6; i++ {
		cmd := exec.Command("docker", "build", "--quiet", "--label", fmt.Sprintf("build=%d", i),
			"--tag", fmt.Sprintf("%s:c-%d", repo, i), "--tag", fmt.Sprintf("%s:g-%d", repo, i), "-")
		cmd.Stdin = strings.NewReader("FROM scratch\nLABEL probe=engine\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v\n%s", err, out)
		}
	}
	if err := e.Tag(ctx, repo+":c-6", repo+":latest"); err != nil {
		t.Fatal(err)
	}
	list, err := e.Images(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 6 {
		t.Fatalf("Images(%s) = %d images, want 6: %+v", repo, len(list), list)
	}
	for _, img := range list {
		if img.Created.IsZero() || len(img.Names) < 2 {
			t.Errorf("image %+v: no creation time or names", img)
		}
	}
	dropped, err := dropOldBuilds(ctx, e, repo, repo+":latest")
	if err != nil || dropped != 2 {
		t.Fatalf("dropOldBuilds = %d, %v; want 2", dropped, err)
	}
	out, err := exec.Command("docker", "images", "--format", "{{.Tag}}", repo).Output()
	if err != nil {
		t.Fatal(err)
	}
	tags := strings.Fields(string(out))
	sort.Strings(tags)
	if len(tags) != 1+2*(1+KeptBuilds) || tags[len(tags)-1] != "latest" {
		t.Errorf("tags left: %v, want latest and the c-/g- tags of %d images", tags, 1+KeptBuilds)
	}
	// A container keeps its image's last name; a missing name is no error.
	ct := "mlft-" + testenv.Name(t)
	if out, err := exec.Command("docker", "create", "--name", ct, repo+":c-6", "x").CombinedOutput(); err != nil {
		t.Fatalf("docker create: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", ct).Run() })
	for _, ref := range []string{repo + ":latest", repo + ":g-6", repo + ":c-6", repo + ":c-1"} {
		if err := e.Untag(ctx, ref); err != nil {
			t.Errorf("Untag(%s): %v", ref, err)
		}
	}
	if id, err := e.ImageID(ctx, repo+":c-6"); err != nil || id == "" {
		t.Errorf("the last name of an image a container uses went: %q, %v", id, err)
	}
}
