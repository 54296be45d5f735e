// Package ui renders progress for people: the step-status lines every
// pipeline uses, prompts, and tables.
package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mlforge/mlforge/internal/iostreams"
)

const (
	markStart = "•"
	markOK    = "✓"
	markFail  = "✗"
	markSkip  = "-"
)

const plainDetailEvery = 2 * time.Second

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Status shows one line per step. On an animated terminal the current step
// has a spinner and an optional detail ("waiting for serve"); otherwise it
// prints plain lines:
//
//   - build images
//     ✓ build images (1.2s)
//     ✗ start services
type Status struct {
	w       io.Writer
	animate bool
	color   bool
	now     func() time.Time

	mu      sync.Mutex
	step    string
	detail  string
	started time.Time
	// lastDetail is when a detail was last printed in plain mode.
	lastDetail time.Time
	stop       chan struct{}
	done       chan struct{}
}

// NewStatus writes progress to ios.ErrOut.
func NewStatus(ios *iostreams.IOStreams) *Status {
	return &Status{w: ios.ErrOut, animate: ios.Animate(), color: ios.ColorEnabled(), now: time.Now}
}

// NewPlainStatus writes plain lines to w (for logs and tests).
func NewPlainStatus(w io.Writer) *Status { return &Status{w: w, now: time.Now} }

// SetClock replaces the clock (for tests that compare durations).
func (s *Status) SetClock(now func() time.Time) { s.now = now }

// Start begins a step, ending any step still running as successful.
func (s *Status) Start(step string) {
	s.mu.Lock()
	running := s.step != ""
	s.mu.Unlock()
	if running {
		s.End(nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.step, s.detail, s.started = step, "", s.now()
	s.lastDetail = s.started
	if !s.animate {
		fmt.Fprintf(s.w, " %s %s\n", markStart, step)
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.spin(s.stop, s.done)
}

// Update sets a detail shown next to the running step. Without animation
// a changed detail is printed as an indented line, so logs keep it.
func (s *Status) Update(detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.step == "" || detail == s.detail {
		return
	}
	s.detail = detail
	// Plain output keeps details of slow steps only, at most every 2s, so
	// logs show what a long wait was about without noise from quick steps.
	if !s.animate && detail != "" && s.now().Sub(s.lastDetail) >= plainDetailEvery {
		s.lastDetail = s.now()
		fmt.Fprintf(s.w, "   %s\n", detail)
	}
}

// End finishes the running step as succeeded (err == nil) or failed.
func (s *Status) End(err error) { s.finish(err == nil, "") }

// Skip finishes the running step as skipped, with the reason.
func (s *Status) Skip(reason string) { s.finish(true, reason) }

// Println prints a line between steps without breaking the spinner.
func (s *Status) Println(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.animate && s.step != "" {
		fmt.Fprint(s.w, "\r\033[2K")
	}
	fmt.Fprintln(s.w, line)
}

func (s *Status) finish(ok bool, skipped string) {
	s.mu.Lock()
	step, stop, done := s.step, s.stop, s.done
	s.mu.Unlock()
	if step == "" {
		return
	}
	if stop != nil {
		close(stop)
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := s.now().Sub(s.started)
	if s.animate {
		fmt.Fprint(s.w, "\r\033[2K")
	}
	switch {
	case skipped != "":
		fmt.Fprintf(s.w, " %s %s (%s)\n", s.paint(markSkip, "2"), step, skipped)
	case ok:
		fmt.Fprintf(s.w, " %s %s (%s)\n", s.paint(markOK, "32"), step, FormatDuration(elapsed))
	default:
		fmt.Fprintf(s.w, " %s %s\n", s.paint(markFail, "31"), step)
	}
	s.step, s.detail, s.stop, s.done = "", "", nil, nil
}

func (s *Status) spin(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		s.mu.Lock()
		line := fmt.Sprintf(" %s %s", s.paint(spinnerFrames[i%len(spinnerFrames)], "36"), s.step)
		if s.detail != "" {
			line += s.paint(" · "+s.detail, "2")
		}
		fmt.Fprint(s.w, "\r\033[2K"+line)
		s.mu.Unlock()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func (s *Status) paint(text, code string) string {
	if !s.color {
		return text
	}
	return "\033[" + code + "m" + text + "\033[0m"
}

// FormatDuration prints durations the way people read them: 0.4s, 12.3s, 2m05s.
func FormatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	m := int(d / time.Minute)
	sec := int((d % time.Minute) / time.Second)
	return fmt.Sprintf("%dm%02ds", m, sec)
}

// Indent prefixes every line of text, for showing captured command output.
func Indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
