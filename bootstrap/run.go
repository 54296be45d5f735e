package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mlforge/mlforge/internal/sshx"
)

// Reporter is what Run needs from the step renderer (ui.Status satisfies it).
type Reporter interface {
	Start(step string)
	Update(detail string)
	End(err error)
	Skip(reason string)
	Println(line string)
}

// StepResult is one step of the install script as it ran.
type StepResult struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Status  string  `json:"status"` // "done", "skipped" or "failed"
	Detail  string  `json:"detail,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Result is what a bootstrap found and did on one host.
type Result struct {
	Host    string `json:"host"`
	OS      string `json:"os,omitempty"`
	Channel string `json:"channel,omitempty"`
	Docker  string `json:"docker,omitempty"`
	Compose string `json:"compose,omitempty"`
	// DataDevice is the data volume's device when one was asked for.
	DataDevice string       `json:"dataDevice,omitempty"`
	Changed    bool         `json:"changed"`
	Seconds    float64      `json:"seconds"`
	Steps      []StepResult `json:"steps"`
	Error      string       `json:"error,omitempty"`
}

// StepError is a step the script reported as failed, with its output.
type StepError struct {
	Host    string
	Step    string // title
	Message string
	Output  []string // the step's last output lines
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("%s: %s: %s", e.Host, strings.ToLower(e.Step), e.Message)
	if len(e.Output) > 0 {
		msg += "\n  output of the failed step:\n" + "    | " + strings.Join(e.Output, "\n    | ")
	}
	return msg
}

// changingSteps are the steps whose "done" means the host changed.
var changingSteps = map[string]bool{"data": true, "engine": true, "compose": true, "daemon": true, "group": true}

// maxOutputLines bounds the output kept per step for error messages.
const maxOutputLines = 25

// Run runs the install script through r, streaming its steps to st, and
// returns what happened. It is safe to run again after any failure.
func Run(ctx context.Context, r Runner, opts Options, st Reporter) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	p := &progress{st: st, res: &Result{Host: r.Target()}, now: time.Now}
	start := p.now()
	stdout := &lineWriter{fn: p.line}
	stderr := &lineWriter{fn: func(l string) { p.stderr = append(p.stderr, l) }}
	err := r.Run(ctx, r.AsRoot(Command(opts)), strings.NewReader(Script()), stdout, stderr)
	stdout.Flush()
	stderr.Flush()
	p.res.Seconds = p.now().Sub(start).Seconds()
	if err = p.finish(ctx, err); err != nil {
		p.res.Error = err.Error()
	}
	return p.res, err
}

// progress turns the script's lines into renderer calls and a Result.
type progress struct {
	st      Reporter
	res     *Result
	now     func() time.Time
	cur     *StepResult
	started time.Time
	output  []string
	stderr  []string
	failed  *StepError
}

func (p *progress) line(line string) {
	ev, ok := ParseEvent(line)
	if !ok {
		p.output = append(p.output, line)
		if len(p.output) > maxOutputLines {
			p.output = p.output[len(p.output)-maxOutputLines:]
		}
		return
	}
	switch ev.Kind {
	case EventStep:
		p.cur = &StepResult{ID: ev.Step, Title: ev.Text}
		p.started, p.output = p.now(), nil
		p.st.Start(ev.Text)
	case EventDetail:
		p.output = append(p.output, "» "+ev.Text)
		p.st.Update(ev.Text)
	case EventDone, EventSkip, EventFail:
		p.endStep(ev)
	case EventResult:
		switch ev.Step {
		case "os":
			p.res.OS = ev.Text
		case "channel":
			p.res.Channel = ev.Text
		case "docker":
			p.res.Docker = ev.Text
		case "compose":
			p.res.Compose = ev.Text
		case "data":
			p.res.DataDevice = ev.Text
		}
	}
}

func (p *progress) endStep(ev Event) {
	s := p.cur
	if s == nil || s.ID != ev.Step {
		s = &StepResult{ID: ev.Step, Title: ev.Step}
		p.st.Start(s.Title)
	}
	s.Detail, s.Seconds = ev.Text, p.now().Sub(p.started).Seconds()
	switch ev.Kind {
	case EventDone:
		s.Status = "done"
		p.res.Changed = p.res.Changed || changingSteps[s.ID]
		p.st.End(nil)
		if ev.Text != "" {
			p.st.Println("   " + ev.Text)
		}
	case EventSkip:
		s.Status = "skipped"
		p.st.Skip(ev.Text)
	case EventFail:
		s.Status = "failed"
		if p.failed == nil { // the first failure is the cause
			p.failed = &StepError{Host: p.res.Host, Step: s.Title, Message: ev.Text, Output: p.output}
		}
		p.st.End(errors.New(ev.Text))
	}
	p.res.Steps = append(p.res.Steps, *s)
	p.cur = nil
}

// finish decides the outcome from the script's own report and the runner's error.
func (p *progress) finish(ctx context.Context, err error) error {
	if p.failed != nil {
		return p.failed
	}
	if err == nil {
		if n := len(p.res.Steps); n == 0 || p.res.Steps[n-1].ID != "verify" {
			return fmt.Errorf("%s: the install script ended before verifying Docker (output: %s)", p.res.Host, strings.Join(p.output, " / "))
		}
		return nil
	}
	stderr := strings.Join(p.stderr, "\n")
	if sudoErr := sshx.SudoError(stderr); sudoErr != nil {
		return fmt.Errorf("%s: %w", p.res.Host, sudoErr)
	}
	where := "before the install script started"
	if p.cur != nil {
		where = "during " + strings.ToLower(p.cur.Title)
		p.st.End(err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: stopped %s: %w", p.res.Host, where, ctx.Err())
	}
	if stderr != "" {
		where += " (" + strings.TrimSpace(stderr) + ")"
	}
	return fmt.Errorf("%s: bootstrap interrupted %s: %w; it is safe to run again", p.res.Host, where, err)
}
