package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strings"

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
// one API request: the host's engine uses them for that pull only and
// nothing is written to its disk.
func (c Credentials) encode() (string, error) {
	b, err := json.Marshal(registry.AuthConfig{Username: c.Username, Password: c.Password, ServerAddress: c.Server})
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// RegistryShip ships built images through a registry (the environment's
// ECR repositories on AWS): pushed from here under their content tag,
// pulled by the host with a short-lived token handed over with the request,
// then tagged with the name compose uses. Images the host already runs are
// skipped.
type RegistryShip struct {
	Local, Remote *client.Client
	// Login returns fresh credentials (an ECR authorization token).
	Login func(ctx context.Context) (Credentials, error)
	// Repos maps an image name (last path element, no tag) to its
	// repository URL.
	Repos map[string]string
	Refs  []string

	Pushed, Skipped []string
}

func (s *RegistryShip) String() string { return "push and pull images" }

// Run implements pipeline.Step.
func (s *RegistryShip) Run(ctx context.Context, r pipeline.Reporter) error {
	var auth string
	for _, ref := range s.Refs {
		local, err := s.Local.ImageInspect(ctx, ref)
		if err != nil {
			return fmt.Errorf("image %s is not on this machine: %w", ref, err)
		}
		if remote, err := s.Remote.ImageInspect(ctx, ref); err == nil && remote.ID == local.ID {
			s.Skipped = append(s.Skipped, ref)
			continue
		}
		repoURL, ok := s.Repos[imageName(ref)]
		if !ok {
			return fmt.Errorf("image %s has no repository (repositories: %v): run `mlforge up` so the infrastructure creates it", ref, keys(s.Repos))
		}
		if auth == "" {
			creds, err := s.Login(ctx)
			if err != nil {
				return err
			}
			if auth, err = creds.encode(); err != nil {
				return err
			}
		}
		remoteRef := repoURL + ":c-" + strings.TrimPrefix(local.ID, "sha256:")[:12]
		r.Update("pushing " + remoteRef)
		if _, err := s.Local.ImageTag(ctx, client.ImageTagOptions{Source: ref, Target: remoteRef}); err != nil {
			return err
		}
		push, err := s.Local.ImagePush(ctx, remoteRef, client.ImagePushOptions{RegistryAuth: auth})
		if err != nil {
			return fmt.Errorf("pushing %s: %w", remoteRef, err)
		}
		err = push.Wait(ctx)
		push.Close()
		// The registry's tag was only needed for the push: dropping it keeps
		// one tag per deploy from piling up here (the image keeps its own).
		_, _ = s.Local.ImageRemove(ctx, remoteRef, client.ImageRemoveOptions{})
		if err != nil {
			return fmt.Errorf("pushing %s: %w", remoteRef, err)
		}
		r.Update("pulling " + remoteRef + " on the host")
		pull, err := s.Remote.ImagePull(ctx, remoteRef, client.ImagePullOptions{RegistryAuth: auth})
		if err != nil {
			return fmt.Errorf("pulling %s on the host: %w", remoteRef, err)
		}
		err = pull.Wait(ctx)
		pull.Close()
		if err != nil {
			return fmt.Errorf("pulling %s on the host: %w", remoteRef, err)
		}
		if _, err := s.Remote.ImageTag(ctx, client.ImageTagOptions{Source: remoteRef, Target: ref}); err != nil {
			return err
		}
		_, _ = s.Remote.ImageRemove(ctx, remoteRef, client.ImageRemoveOptions{})
		s.Pushed = append(s.Pushed, ref)
	}
	r.Update(fmt.Sprintf("%d pushed and pulled, %d already there", len(s.Pushed), len(s.Skipped)))
	return nil
}

// imageName is an image reference's last path element without tag.
func imageName(ref string) string {
	name := path.Base(ref)
	if i := strings.IndexAny(name, ":@"); i > 0 {
		name = name[:i]
	}
	return strings.ToLower(name)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
