package idle

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The samples are idle.json files written by idle.sh check.
func TestParseState(t *testing.T) {
	b, err := os.ReadFile("testdata/state-on.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enabled || s.TimeoutSeconds != 3 || s.Reason != "boot" || !s.Stopping || s.IdleSeconds != 3 ||
		s.CPUPercent == nil || s.GPUPercent != nil || s.ModelRequests != nil || s.CheckedAt.IsZero() {
		t.Errorf("state: %+v", s)
	}
	if at, ok := s.StopsAt(); !ok || !at.Equal(s.CheckedAt) {
		t.Errorf("stops at %v %v, want %v", at, ok, s.CheckedAt)
	}
	b, _ = os.ReadFile("testdata/state-off.json")
	off, err := ParseState(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.StopsAt(); ok || off.Enabled || off.StopInSeconds != nil {
		t.Errorf("off: %+v", off)
	}
	if !off.LastActivity.Equal(time.Date(2026, 12, 1, 13, 51, 52, 0, time.UTC)) {
		t.Errorf("last activity %v", off.LastActivity)
	}
	for _, bad := range []string{`{`, `{"version": 2}`} {
		if _, err := ParseState([]byte(bad)); err == nil || !strings.Contains(err.Error(), StatePath) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
