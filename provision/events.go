package provision

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Phase is where a resource operation is.
type Phase int

// Phases of a resource operation.
const (
	Started Phase = iota
	Done
	Failed
)

// ResourceEvent is one change of one resource, translated from the engine's
// event stream into what people care about.
type ResourceEvent struct {
	Phase    Phase
	Op       string // create, update, delete, replace, create-replacement, delete-replaced, read, refresh, import, ...
	Type     string // aws:s3/bucketV2:BucketV2
	Name     string // logical name
	URN      string
	Message  string // on Failed: the provider's message
	Planning bool   // true in previews: nothing is being changed
}

// Sink receives resource events as they happen.
type Sink interface {
	Resource(ev ResourceEvent)
	// Diagnostic shows a message not tied to a resource (warnings, program errors).
	Diagnostic(severity, message string)
}

// translate reads the engine's events until the channel closes (or stop
// does, when the engine failed before streaming any), sending
// resource events to sink. Stack and provider resources and unchanged
// ("same") resources are left out; error diagnostics are attached to the
// failed resource they name.
func translate(ch <-chan events.EngineEvent, stop <-chan struct{}, sink Sink) {
	t := translator{sink: sink, diags: map[string][]string{}}
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			t.event(ev)
		case <-stop:
			return
		}
	}
}

// translator turns one run's engine events into resource events.
type translator struct {
	sink  Sink
	diags map[string][]string // error diagnostics by resource, for its failure
}

func (t translator) event(ev events.EngineEvent) {
	switch {
	case ev.ResourcePreEvent != nil:
		m := ev.ResourcePreEvent.Metadata
		t.resource(m.Type, string(m.Op), m.URN, Started, ev.ResourcePreEvent.Planning)
	case ev.ResOutputsEvent != nil:
		m := ev.ResOutputsEvent.Metadata
		t.resource(m.Type, string(m.Op), m.URN, Done, ev.ResOutputsEvent.Planning)
	case ev.ResOpFailedEvent != nil:
		m := ev.ResOpFailedEvent.Metadata
		msg := strings.Join(t.diags[m.URN], "; ")
		t.sink.Resource(ResourceEvent{Phase: Failed, Op: string(m.Op), Type: m.Type, Name: urnName(m.URN), URN: m.URN, Message: msg})
	case ev.DiagnosticEvent != nil:
		t.diagnostic(ev.DiagnosticEvent)
	}
}

func (t translator) resource(typ, op, urn string, phase Phase, planning bool) {
	if skipResource(typ, op) {
		return
	}
	t.sink.Resource(ResourceEvent{Phase: phase, Op: op, Type: typ, Name: urnName(urn), URN: urn, Planning: planning})
}

// diagnostic keeps a resource's errors for its failure event and passes
// the others' warnings and errors on.
func (t translator) diagnostic(d *apitype.DiagnosticEvent) {
	msg := cleanDiag(d.Message)
	if msg == "" || d.Ephemeral {
		return
	}
	if d.URN != "" && !strings.Contains(d.URN, "pulumi:pulumi:Stack") && d.Severity == "error" {
		t.diags[d.URN] = append(t.diags[d.URN], msg)
		return
	}
	if d.Severity == "error" || d.Severity == "warning" {
		t.sink.Diagnostic(d.Severity, msg)
	}
}

func skipResource(typ, op string) bool {
	return op == "same" || typ == "pulumi:pulumi:Stack" || strings.HasPrefix(typ, "pulumi:providers:")
}

// urnName is the logical name at the end of a URN.
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// cleanDiag trims colour codes and surrounding space from a diagnostic.
func cleanDiag(s string) string {
	for _, code := range []string{"<{%reset%}>", "<{%fg 1%}>", "<{%fg 3%}>", "<{%bold%}>"} {
		s = strings.ReplaceAll(s, code, "")
	}
	return strings.TrimSpace(s)
}

// ShortType drops the package and lower-case module path: aws:s3/bucketV2:BucketV2 -> s3:BucketV2.
func ShortType(typ string) string {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 {
		return typ
	}
	mod := parts[1]
	if i := strings.Index(mod, "/"); i >= 0 {
		mod = mod[:i]
	}
	return mod + ":" + parts[2]
}
