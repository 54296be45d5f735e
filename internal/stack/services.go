package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/ui"
)

// StartServices starts the long-running services (compose recreates only
// what changed) and waits until each is running and healthy.
type StartServices struct {
	Engine   Engine
	Compose  Compose
	Services []Service
	// Lenient services only need to run: their health depends on a later
	// step (the model server before its first model).
	Lenient map[string]bool
	// Await, when set, names the services Run waits for (what the next
	// step needs); Wait waits for the others, so that step runs while
	// they become healthy. A service that fails fails Run all the same.
	Await   map[string]bool
	Timeout time.Duration
	Poll    time.Duration
}

func (s *StartServices) String() string { return "start services" }

// Run implements pipeline.Step.
func (s *StartServices) Run(ctx context.Context, r pipeline.Reporter) error {
	pulled := map[string]string{}
	args := []string{"up", "--detach", "--no-build", "--remove-orphans"}
	for _, svc := range s.Services {
		args = append(args, svc.Name)
		if svc.Build == nil && svc.Image != "" {
			pulled[svc.Name] = svc.Image
		}
	}
	if err := pullMissing(ctx, s.Engine, s.Compose, pulled, r); err != nil {
		return err
	}
	out := &syncBuffer{}
	r.Update("docker compose up")
	if err := s.Compose.Run(ctx, args, out, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.Println(ui.Indent(tail(out.String(), 30), "   | "))
		return errs.WithHint(err, "the compose output above says why; `mlforge logs SERVICE` shows a service's logs")
	}
	return s.wait(ctx, r, s.Await)
}

// Wait waits until every service is ready, as Run does without Await.
func (s *StartServices) Wait(ctx context.Context, r pipeline.Reporter) error {
	return s.wait(ctx, r, nil)
}

// Ready reports whether every service already runs and is ready, as Run
// leaves them.
func (s *StartServices) Ready(ctx context.Context) bool {
	byService, err := containersByService(ctx, s.Compose)
	if err != nil {
		return false
	}
	waiting, failed := s.check(byService, nil)
	return len(waiting) == 0 && failed == ""
}

// containersByService lists the stack's containers by their service.
func containersByService(ctx context.Context, c Compose) (map[string]Container, error) {
	list, err := PS(ctx, c)
	if err != nil {
		return nil, err
	}
	return indexByService(list), nil
}

// indexByService indexes containers by their compose service.
func indexByService(list []Container) map[string]Container {
	m := make(map[string]Container, len(list))
	for _, c := range list {
		m[c.Service] = c
	}
	return m
}

// Fingerprint identifies what Run starts from model: the whole compose
// model (its Digest), the services and the image each runs. Equal
// fingerprints and Ready services mean compose up would change nothing.
func (s *StartServices) Fingerprint(ctx context.Context, model *Model) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "model %s\n", model.Digest)
	names := make([]string, 0, len(s.Services))
	for _, svc := range s.Services {
		names = append(names, svc.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		svc := s.service(n)
		id, err := s.Engine.ImageID(ctx, model.ImageRef(svc))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "service %s image %s\n", n, id)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// wait polls compose until every service in await (every service when
// nil) is ready, failing fast on any that exited or turned unhealthy.
func (s *StartServices) wait(ctx context.Context, r pipeline.Reporter, await map[string]bool) error {
	timeout, poll := s.Timeout, s.Poll
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if poll == 0 {
		poll = time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		byService, err := containersByService(ctx, s.Compose)
		if err != nil {
			return err
		}
		waiting, failed := s.check(byService, await)
		if failed != "" {
			return s.failure(ctx, r, s.service(failed), byService[failed], byService[failed].Describe())
		}
		if len(waiting) == 0 {
			return nil
		}
		r.Update("waiting for " + strings.Join(waiting, ", "))
		if time.Now().After(deadline) {
			name, _, _ := strings.Cut(waiting[0], " ")
			return s.failure(ctx, r, s.service(name), byService[name], "still "+strings.TrimSuffix(strings.SplitN(waiting[0], "(", 2)[1], ")")+" after "+ui.FormatDuration(timeout))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// check sorts the services into those still waited for ("name (state)",
// sorted; only those in await, when set) and the first that failed
// (exited, or unhealthy unless lenient).
func (s *StartServices) check(byService map[string]Container, await map[string]bool) (waiting []string, failed string) {
	for _, svc := range s.Services {
		c, ok := byService[svc.Name]
		lenient := s.Lenient[svc.Name]
		switch {
		case ok && (c.State == "exited" || c.State == "dead" || (c.Health == "unhealthy" && !lenient)):
			return nil, svc.Name
		case await != nil && !await[svc.Name]:
		case !ok:
			waiting = append(waiting, svc.Name+" (no container)")
		case c.Ready(svc.HasHealthCheck() && !lenient):
		default:
			waiting = append(waiting, svc.Name+" ("+c.Describe()+")")
		}
	}
	sort.Strings(waiting)
	return waiting, ""
}

func (s *StartServices) service(name string) Service {
	for _, svc := range s.Services {
		if svc.Name == name {
			return svc
		}
	}
	return Service{Name: name}
}

// failure shows the service's last logs and health-check output, then
// returns an error naming it.
func (s *StartServices) failure(ctx context.Context, r pipeline.Reporter, svc Service, c Container, state string) error {
	var logs syncBuffer
	_ = s.Compose.Run(ctx, []string{"logs", "--no-color", "--tail", "30", svc.Name}, &logs, &logs)
	r.Println(fmt.Sprintf("   last log lines of %s:", svc.Name))
	if strings.TrimSpace(logs.String()) == "" {
		r.Println("   | (no output)")
	} else {
		r.Println(ui.Indent(tail(logs.String(), 30), "   | "))
	}
	if c.ID != "" && svc.HasHealthCheck() {
		if hl, err := s.Engine.HealthLog(ctx, c.ID); err == nil && len(hl) > 0 {
			r.Println(fmt.Sprintf("   health check of %s (%s):", svc.Name, strings.Join(svc.HealthCheck.Test, " ")))
			r.Println(ui.Indent(strings.Join(hl[max(0, len(hl)-3):], "\n"), "   | "))
		}
	}
	return errs.WithHint(fmt.Errorf("service %s did not become healthy: %s", svc.Name, state),
		fmt.Sprintf("fix what its logs above show, then run `mlforge up` again; `mlforge logs %s` shows more", svc.Name))
}

// errNotReady is returned by probes that reached a service not yet ready.
var errNotReady = errors.New("not ready")
