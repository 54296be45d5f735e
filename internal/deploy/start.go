package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// start records the services not to start, then starts the others (compose
// recreates only what changed) and waits until those the model step needs
// run and are healthy; check health waits for the others.
type start struct{ *run }

func (s start) String() string { return "start services" }

// Skip implements pipeline.Skipper: when what the last start recorded is
// what would start now (the compose model, the services, the image each
// runs and, on a host, the project's copy there and the deployment
// settings) and every service still runs ready, compose up would change
// nothing. The record lives beside the stack, so an up from another
// machine to the same host is seen.
func (s start) Skip(ctx context.Context) (string, bool) {
	if s.t.Remote() && (s.res.Synced || len(s.res.Shipped) > 0 || len(s.res.Built) > 0) {
		return "", false // changed in this up: no need to ask the host
	}
	last, err := stack.LoadStarted(ctx, s.project().State)
	if err != nil || last == "" {
		return "", false
	}
	step := s.services()
	if now, err := s.fingerprint(ctx, step); err != nil || now != last || !step.Ready(ctx) {
		return "", false
	}
	return "all running, nothing changed since the last up", true
}

func (s start) Run(ctx context.Context, r pipeline.Reporter) error {
	p := s.project()
	// A start that fails part way leaves no record to trust.
	if err := stack.SaveStarted(ctx, p.State, ""); err != nil {
		return err
	}
	if err := stack.SaveSkipped(ctx, p.State, s.skip); err != nil {
		return err
	}
	step := s.services()
	if err := step.Run(ctx, r); err != nil {
		return err
	}
	// Run waited for what the model step needs; check health waits for
	// the rest, while the model step trains.
	s.started = step
	fp, err := s.fingerprint(ctx, step)
	if err != nil {
		return nil // no record: the next up runs compose up again
	}
	return stack.SaveStarted(ctx, p.State, fp)
}

// services is the stack's start of the services not skipped.
func (s start) services() *stack.StartServices {
	return s.project().Start(s.model, s.skip, s.opts.Timeout)
}

// fingerprint identifies what the step starts; on a host, with the copy
// of the project and the settings compose reads there.
func (s start) fingerprint(ctx context.Context, step *stack.StartServices) (string, error) {
	fp, err := step.Fingerprint(ctx, s.model)
	if err != nil || !s.t.Remote() {
		return fp, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "services %s\nproject %s\nsettings %s\n", fp, s.synced, s.settings)
	return hex.EncodeToString(h.Sum(nil)), nil
}
