package stack

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// lastLine is a writer that reports each complete non-empty line, for
// showing a command's progress next to its step.
type lastLine struct {
	mu     sync.Mutex
	buf    []byte
	update func(string)
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
		if line != "" {
			if len(line) > 100 {
				line = line[:100] + "…"
			}
			l.update(line)
		}
	}
	return len(p), nil
}

// multi writes to every writer (errors from the first only).
func multi(ws ...io.Writer) io.Writer { return io.MultiWriter(ws...) }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// syncBuffer is a bytes.Buffer safe for a command's stdout and stderr
// goroutines to write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
