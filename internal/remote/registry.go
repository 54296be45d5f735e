package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// Credentials log in to a registry (ECR's are valid for 12 hours).
type Credentials struct {
	Server   string // registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
	Username string
	Password string
}

// encode returns the X-Registry-Auth value carrying the credentials with
// one API request: the engines use them for that request only and nothing
// is written to their disks.
func (c Credentials) encode() (string, error) {
	b, err := json.Marshal(registry.AuthConfig{Username: c.Username, Password: c.Password, ServerAddress: c.Server})
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// RegistryParallel is how many images RegistryShip moves at once.
const RegistryParallel = 3

// RegistryShip ships built images through a registry (the environment's
// ECR repositories on AWS, whose tags are immutable). Each image goes to
// its repository under a tag derived from its content (ContentTag), so a
// tag never names other content; it is pushed only when the repository
// lacks that tag (the registry is asked first), then pulled by the host
// with a short-lived token handed over with the request and tagged with
// the name compose uses. Images the host already runs are skipped without
// asking the registry, and several images move at once. A retry after a
// failed pull, or a new host with an empty engine, pulls what an earlier
// run pushed instead of pushing it again (which ECR would refuse).
type RegistryShip struct {
	Local, Remote *client.Client
	// Login returns fresh credentials (an ECR authorization token).
	Login func(ctx context.Context) (Credentials, error)
	// Repos maps a repository name (RepositoryName) to its URL (the AWS
	// program's repositoryUrls output).
	Repos map[string]string
	// Images are the images to ship, each with its repository name
	// (RegistryImages).
	Images []Image

	// Pushed lists the images pushed to the registry and pulled by the
	// host, Pulled those the registry already had, Skipped those the host
	// already runs; each sorted.
	Pushed, Pulled, Skipped []string
}

func (s *RegistryShip) String() string { return "push and pull images" }

// ContentTag is the tag an image is stored under: its ID (on Docker's
// image store, the digest of its configuration, which names its layers),
// so one tag always means one content.
func ContentTag(imageID string) string {
	return "c-" + strings.TrimPrefix(imageID, "sha256:")
}

// shipment is one image that must reach the host through the registry.
type shipment struct {
	ref, remoteRef string
}

// Run implements pipeline.Step.
func (s *RegistryShip) Run(ctx context.Context, r pipeline.Reporter) error {
	s.Pushed, s.Pulled, s.Skipped = nil, nil, nil
	work, err := s.plan(ctx)
	if err != nil || len(work) == 0 {
		r.Update(fmt.Sprintf("%d already on the host", len(s.Skipped)))
		return err
	}
	creds, err := s.Login(ctx)
	if err != nil {
		return err
	}
	auth, err := creds.encode()
	if err != nil {
		return err
	}
	rep := &lockedReporter{r: r}
	var mu sync.Mutex
	err = parallel(ctx, len(work), RegistryParallel, func(i int) error {
		pushed, err := s.ship(ctx, rep, work[i], auth)
		if err == nil {
			mu.Lock()
			if pushed {
				s.Pushed = append(s.Pushed, work[i].ref)
			} else {
				s.Pulled = append(s.Pulled, work[i].ref)
			}
			mu.Unlock()
		}
		return err
	})
	sort.Strings(s.Pushed)
	sort.Strings(s.Pulled)
	r.Update(fmt.Sprintf("%d pushed, %d pulled from the registry, %d already on the host", len(s.Pushed), len(s.Pulled), len(s.Skipped)))
	return err
}

// plan returns the images the host lacks, with their registry references.
func (s *RegistryShip) plan(ctx context.Context) ([]shipment, error) {
	var work []shipment
	for _, img := range s.Images {
		local, err := s.Local.ImageInspect(ctx, img.Ref)
		if err != nil {
			return nil, fmt.Errorf("image %s is not on this machine: %w", img.Ref, err)
		}
		if remote, err := s.Remote.ImageInspect(ctx, img.Ref); err == nil && remote.ID == local.ID {
			s.Skipped = append(s.Skipped, img.Ref)
			continue
		}
		repoURL, ok := s.Repos[img.Repository]
		if !ok {
			return nil, fmt.Errorf("image %s: no repository %q among the environment's (%s): run `mlforge up` so the infrastructure creates it",
				img.Ref, img.Repository, strings.Join(keys(s.Repos), ", "))
		}
		work = append(work, shipment{ref: img.Ref, remoteRef: repoURL + ":" + ContentTag(local.ID)})
	}
	sort.Strings(s.Skipped)
	return work, nil
}

// ship gets one image to the host: pushed first unless the repository
// has its content tag already. It reports whether it pushed.
func (s *RegistryShip) ship(ctx context.Context, r pipeline.Reporter, w shipment, auth string) (bool, error) {
	have, err := s.inRegistry(ctx, w.remoteRef, auth)
	if err != nil {
		return false, err
	}
	if !have {
		if err := s.push(ctx, r, w, auth); err != nil {
			return false, err
		}
	}
	r.Update("pulling " + w.remoteRef + " on the host")
	pull, err := s.Remote.ImagePull(ctx, w.remoteRef, client.ImagePullOptions{RegistryAuth: auth})
	if err == nil {
		err = pull.Wait(ctx)
		pull.Close()
	}
	if err != nil {
		return false, fmt.Errorf("pulling %s on the host: %w", w.remoteRef, err)
	}
	if _, err := s.Remote.ImageTag(ctx, client.ImageTagOptions{Source: w.remoteRef, Target: w.ref}); err != nil {
		return false, fmt.Errorf("tagging %s on the host: %w", w.ref, err)
	}
	// The registry's name was only needed for the pull.
	_, _ = s.Remote.ImageRemove(ctx, w.remoteRef, client.ImageRemoveOptions{})
	return !have, nil
}

// inRegistry asks the registry (through this machine's engine, which
// knows how to reach it) whether it holds ref.
func (s *RegistryShip) inRegistry(ctx context.Context, ref, auth string) (bool, error) {
	_, err := s.Local.DistributionInspect(ctx, ref, client.DistributionInspectOptions{EncodedRegistryAuth: auth})
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("asking the registry for %s: %w", ref, err)
}

// push pushes the image under its registry reference; the engine sends
// only the layers the repository lacks.
func (s *RegistryShip) push(ctx context.Context, r pipeline.Reporter, w shipment, auth string) error {
	r.Update("pushing " + w.remoteRef)
	if _, err := s.Local.ImageTag(ctx, client.ImageTagOptions{Source: w.ref, Target: w.remoteRef}); err != nil {
		return fmt.Errorf("tagging %s: %w", w.remoteRef, err)
	}
	// The registry's name is only needed for the push: dropping it keeps
	// one tag per deploy from piling up here (the image keeps its own).
	defer func() { _, _ = s.Local.ImageRemove(ctx, w.remoteRef, client.ImageRemoveOptions{}) }()
	push, err := s.Local.ImagePush(ctx, w.remoteRef, client.ImagePushOptions{RegistryAuth: auth})
	if err == nil {
		err = push.Wait(ctx)
		push.Close()
	}
	if err != nil {
		return fmt.Errorf("pushing %s: %w", w.remoteRef, err)
	}
	return nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
