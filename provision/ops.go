package provision

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/mlforge/mlforge/internal/errs"
)

// Change is one planned change of one resource.
type Change struct {
	Op   string `json:"op"`
	Type string `json:"type"`
	Name string `json:"name"`
	URN  string `json:"urn"`
}

// Plan is what a preview found.
type Plan struct {
	Changes []Change       `json:"changes"`
	Summary map[string]int `json:"summary"`
}

// HasChanges reports whether applying the plan would change anything (a
// nil plan, of a target without infrastructure, changes nothing).
func (p *Plan) HasChanges() bool { return p != nil && len(p.Changes) > 0 }

// Output is one stack output. A secret's Value is "[secret]", so printing
// outputs never shows one; Reveal gives the value to code that needs it.
type Output struct {
	Value  any  `json:"value"`
	Secret bool `json:"secret,omitempty"`

	revealed any
}

// Reveal returns the output's value, a secret's included.
func (o Output) Reveal() any {
	if o.Secret {
		return o.revealed
	}
	return o.Value
}

// stream starts translating engine events to sink. The Automation API
// closes the channel when the engine's stream ends, but never if the engine
// failed before streaming (a locked stack): finish waits briefly for the
// close, then stops the translator either way.
func stream(sink Sink) (chan events.EngineEvent, func()) {
	ch := make(chan events.EngineEvent)
	done, stop := make(chan struct{}), make(chan struct{})
	if sink == nil {
		sink = discard{}
	}
	go func() {
		defer close(done)
		translate(ch, stop, sink)
	}()
	return ch, func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			close(stop)
			<-done
		}
	}
}

type discard struct{}

func (discard) Resource(ResourceEvent)    {}
func (discard) Diagnostic(string, string) {}

// collector records planned changes while forwarding to another sink.
type collector struct {
	next    Sink
	changes []Change
}

func (c *collector) Resource(ev ResourceEvent) {
	if ev.Phase == Started {
		c.changes = append(c.changes, Change{Op: ev.Op, Type: ev.Type, Name: ev.Name, URN: ev.URN})
	}
	if c.next != nil {
		c.next.Resource(ev)
	}
}

func (c *collector) Diagnostic(sev, msg string) {
	if c.next != nil {
		c.next.Diagnostic(sev, msg)
	}
}

// Preview computes the changes an up would make.
func (e *Infra) Preview(ctx context.Context, sink Sink) (*Plan, error) {
	col := &collector{next: sink}
	ch, wait := stream(col)
	res, err := e.stack.Preview(ctx, optpreview.EventStreams(ch), optpreview.SuppressProgress())
	wait()
	if err != nil {
		return nil, e.explain(ctx, "previewing", err)
	}
	return planOf(col.changes, res.ChangeSummary), nil
}

// PreviewDestroy lists what a destroy would remove.
func (e *Infra) PreviewDestroy(ctx context.Context) (*Plan, error) {
	col := &collector{}
	ch, wait := stream(col)
	res, err := e.stack.PreviewDestroy(ctx, optdestroy.EventStreams(ch), optdestroy.SuppressProgress())
	wait()
	if err != nil {
		return nil, e.explain(ctx, "previewing the destroy of", err)
	}
	return planOf(col.changes, res.ChangeSummary), nil
}

func planOf(changes []Change, summary map[apitype.OpType]int) *Plan {
	p := &Plan{Changes: []Change{}, Summary: map[string]int{}}
	for op, n := range summary {
		if op != apitype.OpSame {
			p.Summary[string(op)] = n
		}
	}
	p.Changes = append(p.Changes, changes...)
	return p
}

// Up creates or updates the resources and returns the outputs.
func (e *Infra) Up(ctx context.Context, sink Sink) (map[string]Output, error) {
	if err := e.settlePending(ctx, sink); err != nil {
		return nil, err
	}
	ch, wait := stream(sink)
	res, err := e.stack.Up(ctx, optup.EventStreams(ch), optup.SuppressProgress())
	wait()
	if err != nil {
		return nil, e.explain(ctx, "updating", err)
	}
	return outputs(res.Outputs), nil
}

// Refresh reads the real state of every resource into the stack.
func (e *Infra) Refresh(ctx context.Context, sink Sink) error {
	ch, wait := stream(sink)
	_, err := e.stack.Refresh(ctx, optrefresh.EventStreams(ch), optrefresh.SuppressProgress())
	wait()
	if err != nil {
		return e.explain(ctx, "refreshing", err)
	}
	return nil
}

// Destroy removes every resource of the stack (resources marked
// retain-on-delete are only forgotten).
func (e *Infra) Destroy(ctx context.Context, sink Sink) error {
	ch, wait := stream(sink)
	_, err := e.stack.Destroy(ctx, optdestroy.EventStreams(ch), optdestroy.SuppressProgress())
	wait()
	if err != nil {
		return e.explain(ctx, "destroying", err)
	}
	return nil
}

// Outputs returns the stack's outputs without running anything.
func (e *Infra) Outputs(ctx context.Context) (map[string]Output, error) {
	out, err := e.stack.Outputs(ctx)
	if err != nil {
		return nil, e.explain(ctx, "reading the outputs of", err)
	}
	return outputs(out), nil
}

func outputs(m auto.OutputMap) map[string]Output {
	res := make(map[string]Output, len(m))
	for k, v := range m {
		if v.Secret {
			res[k] = Output{Value: "[secret]", Secret: true, revealed: v.Value}
			continue
		}
		res[k] = Output{Value: v.Value}
	}
	return res
}

// explain turns an Automation API error into one a person can act on.
func (e *Infra) explain(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return errs.WithHint(fmt.Errorf("%s stack %s: %w", doing, e.Name(), ErrCancelled),
			"run the same command again: it continues from where this one stopped")
	}
	return explain(fmt.Errorf("%s stack %s: %w", doing, e.Name(), err), e.opts)
}

// ErrLocked is wrapped by errors about a stack another run holds.
var ErrLocked = errors.New("stack is locked")

// ErrCancelled is wrapped by errors of operations stopped by the user.
var ErrCancelled = errors.New("cancelled")

// explain recognises the errors people can fix and says how; other errors
// keep only the engine's error lines, not its whole output.
func explain(err error, o Options) error {
	msg := err.Error()
	switch {
	case auto.IsConcurrentUpdateError(err) || strings.Contains(msg, "currently locked by"):
		holder := lineWith(msg, "created by")
		if holder == "" {
			holder = lineWith(msg, "locked by")
		}
		return errs.WithHint(fmt.Errorf("%s: %w: %s", firstLine(msg), ErrLocked, holder),
			fmt.Sprintf("another mlforge (or pulumi) run is changing %s/%s; wait for it to finish. If that run crashed, remove the stale lock with: PULUMI_BACKEND_URL=%s pulumi cancel --stack %s --yes",
				o.Project, o.Env, redactURL(o.BackendURL()), o.Env))
	case strings.Contains(msg, "context canceled") || strings.Contains(msg, "update canceled"):
		return errs.WithHint(fmt.Errorf("%s: %w", firstLine(msg), ErrCancelled),
			"run the same command again: it continues from where this one stopped")
	case strings.Contains(msg, "no resource plugin") || strings.Contains(msg, "failed to load plugin") || strings.Contains(msg, "could not find plugin"):
		return errs.WithHint(fmt.Errorf("%s: %s", firstLine(msg), lineWith(msg, "plugin")),
			"the Pulumi provider plugin is missing and could not be downloaded; on a connected machine run: pulumi plugin install resource aws 6.83.4 (with the same PULUMI_HOME)")
	case strings.Contains(msg, "incorrect passphrase") || strings.Contains(msg, "passphrase must be set"):
		return errs.WithHint(fmt.Errorf("%s: incorrect passphrase: the stack's secrets cannot be decrypted", firstLine(msg)),
			fmt.Sprintf("the stack's secrets were encrypted with another passphrase: set %s or restore %s", PassphraseEnv, filepath.Join(EnvDir(o.Home, o.Project, o.Env), "passphrase")))
	}
	return condensed{msg: condense(msg), err: err}
}

// condensed keeps the error chain but prints only the meaningful lines.
type condensed struct {
	msg string
	err error
}

func (c condensed) Error() string { return c.msg }
func (c condensed) Unwrap() error { return c.err }

// condense keeps the first line and the engine's "error:" lines.
func condense(msg string) string {
	lines := strings.Split(msg, "\n")
	out := []string{strings.TrimSpace(lines[0])}
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "error: "); i >= 0 && !seen[l[i:]] {
			seen[l[i:]] = true
			out = append(out, "  "+l[i:])
		}
	}
	if len(out) > 8 {
		out = append(out[:8], "  ...")
	}
	return strings.Join(out, "\n")
}

// firstLine is the error's first line without the Automation API's
// "failed to run ...: exit status N" noise.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	for _, noise := range []string{": failed to run ", ": could not export stack"} {
		if i := strings.Index(l, noise); i > 0 {
			l = l[:i]
		}
	}
	return strings.TrimSpace(l)
}

// lineWith returns the first line containing sub, trimmed.
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			l = strings.TrimSpace(l)
			l = strings.TrimPrefix(l, "stderr: ")
			return strings.TrimPrefix(l, "error: ")
		}
	}
	return ""
}
