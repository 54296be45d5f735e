package bootstrap

import (
	"strings"
)

// EventKind is the kind of a progress line printed by the install script.
type EventKind string

// The progress line kinds (see the header of install.sh).
const (
	EventStep   EventKind = "step"
	EventDetail EventKind = "detail"
	EventDone   EventKind = "done"
	EventSkip   EventKind = "skip"
	EventFail   EventKind = "fail"
	EventResult EventKind = "result"
)

const eventPrefix = "::mlforge "

// Event is one parsed progress line.
type Event struct {
	Kind EventKind
	Step string // step id for step/done/skip/fail; key for result
	Text string // title, detail, message or value
}

// ParseEvent parses a script output line; ok is false for plain output.
func ParseEvent(line string) (ev Event, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), eventPrefix)
	if !ok {
		return Event{}, false
	}
	kind, rest, _ := strings.Cut(rest, " ")
	ev.Kind = EventKind(kind)
	switch ev.Kind {
	case EventDetail:
		ev.Text = rest
	case EventStep, EventDone, EventSkip, EventFail, EventResult:
		ev.Step, ev.Text, _ = strings.Cut(rest, " ")
	default:
		return Event{}, false
	}
	return ev, true
}

// lineWriter splits written bytes into lines and hands each to fn.
type lineWriter struct {
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.fn(line)
	}
	return len(p), nil
}

// Flush hands over a last line without a newline.
func (w *lineWriter) Flush() {
	if len(w.buf) > 0 {
		w.fn(string(w.buf))
		w.buf = nil
	}
}
