package iostreams

import "bytes"

// LineWriter is an io.Writer that hands each complete line written to it
// (without the newline) to a function: output written by other code, shown
// through a status display's Println.
type LineWriter struct {
	buf []byte
	fn  func(string)
}

// NewLineWriter returns a LineWriter calling fn for each line.
func NewLineWriter(fn func(string)) *LineWriter { return &LineWriter{fn: fn} }

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.fn(line)
	}
}

// Flush hands over a last line that has no newline.
func (w *LineWriter) Flush() {
	if len(w.buf) > 0 {
		w.fn(string(w.buf))
		w.buf = nil
	}
}
