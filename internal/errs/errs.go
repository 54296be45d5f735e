// Package errs carries the two things the CLI needs from an error besides its
// message: a hint telling the user what to do next, and whether the error was
// a usage error (exit code 2) rather than a failure (exit code 1).
package errs

import "errors"

// hinted is an error with advice for the user attached.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// WithHint attaches advice to err; the top level prints it under the error.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hinted{err: err, hint: hint}
}

// Hint returns the outermost hint in err's chain, or "".
func Hint(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint
	}
	return ""
}

// UsageError reports a wrong command line: bad flag, missing argument.
type UsageError struct{ Err error }

func (u *UsageError) Error() string { return u.Err.Error() }
func (u *UsageError) Unwrap() error { return u.Err }

// Usage marks err as a usage error.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// IsUsage reports whether err is (or wraps) a usage error.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// SilentError has already been reported to the user (for example a failed
// health check whose details were printed); the top level only exits.
type SilentError struct{ Code int }

func (s *SilentError) Error() string { return "" }

// ExitCode maps an error to the process exit code: 0, 1, or 2 for usage.
func ExitCode(err error) int {
	var s *SilentError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &s):
		return s.Code
	case IsUsage(err):
		return 2
	default:
		return 1
	}
}
