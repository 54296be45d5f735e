package provision

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mlforge/mlforge/internal/ui"
)

// verbs maps an operation to its -ing and past forms.
var verbs = map[string][2]string{
	"create":             {"creating", "created"},
	"update":             {"updating", "updated"},
	"delete":             {"deleting", "deleted"},
	"replace":            {"replacing", "replaced"},
	"create-replacement": {"creating replacement", "created replacement"},
	"delete-replaced":    {"deleting replaced", "deleted replaced"},
	"read":               {"reading", "read"},
	"refresh":            {"refreshing", "refreshed"},
	"import":             {"importing", "imported"},
	"discard":            {"forgetting", "forgot"},
}

func verb(op string, done bool) string {
	v, ok := verbs[op]
	if !ok {
		return op
	}
	if done {
		return v[1]
	}
	return v[0]
}

// ProgressList renders resource events as one line per transition:
//
//   - creating s3:BucketV2 taxi-dev-artifacts
//     ✓ created s3:BucketV2 taxi-dev-artifacts (2.1s)
//     ✗ creating ec2:Instance taxi-dev-host failed: InsufficientInstanceCapacity ...
//
// It never prints Pulumi's own text; colour only when asked.
type ProgressList struct {
	w     io.Writer
	color bool
	now   func() time.Time

	mu      sync.Mutex
	started map[string]time.Time
	counts  map[string]int
	failed  int
}

// NewProgressList writes to w (stderr in the CLI).
func NewProgressList(w io.Writer, color bool) *ProgressList {
	return &ProgressList{w: w, color: color, now: time.Now, started: map[string]time.Time{}, counts: map[string]int{}}
}

// SetClock replaces the clock (tests).
func (p *ProgressList) SetClock(now func() time.Time) { p.now = now }

// Resource prints one transition.
func (p *ProgressList) Resource(ev ResourceEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	what := ShortType(ev.Type) + " " + ev.Name
	switch ev.Phase {
	case Started:
		if ev.Planning {
			return
		}
		p.started[ev.URN] = p.now()
		fmt.Fprintf(p.w, " %s %s %s\n", p.paint("•", "36"), verb(ev.Op, false), what)
	case Done:
		if ev.Planning {
			return
		}
		d := ""
		if t, ok := p.started[ev.URN]; ok {
			d = " (" + ui.FormatDuration(p.now().Sub(t)) + ")"
		}
		p.counts[verb(ev.Op, true)]++
		fmt.Fprintf(p.w, " %s %s %s%s\n", p.paint("✓", "32"), verb(ev.Op, true), what, d)
	case Failed:
		p.failed++
		msg := ev.Message
		if msg == "" {
			msg = "see the error below"
		}
		fmt.Fprintf(p.w, " %s %s %s failed: %s\n", p.paint("✗", "31"), verb(ev.Op, false), what, msg)
	}
}

// Diagnostic prints a warning or error not tied to a resource.
func (p *ProgressList) Diagnostic(severity, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	mark := p.paint("!", "33")
	if severity == "error" {
		mark = p.paint("✗", "31")
	}
	fmt.Fprintf(p.w, " %s %s\n", mark, ui.Indent(message, "   ")[3:])
}

// Summary is "3 created, 1 updated" (or "no changes").
func (p *ProgressList) Summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := ""
	for _, k := range []string{"created", "updated", "replaced", "deleted", "refreshed", "read", "imported"} {
		if n := p.counts[k]; n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d %s", n, k)
		}
	}
	if p.failed > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d failed", p.failed)
	}
	if s == "" {
		return "no changes"
	}
	return s
}

func (p *ProgressList) paint(text, code string) string {
	if !p.color {
		return text
	}
	return "\033[" + code + "m" + text + "\033[0m"
}
