package remote

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// parallel runs at most limit calls at once, runs them all when they
// succeed, and stops starting new ones after a failure, returning it.
func TestParallel(t *testing.T) {
	var running, peak, calls atomic.Int32
	err := parallel(context.Background(), 9, 3, func(i int) error {
		calls.Add(1)
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	if err != nil || calls.Load() != 9 || peak.Load() != 3 {
		t.Errorf("err %v, %d calls, %d at once: want 9 calls, 3 at once", err, calls.Load(), peak.Load())
	}
	calls.Store(0)
	boom := errors.New("boom")
	err = parallel(context.Background(), 50, 1, func(i int) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() != 3 {
		t.Errorf("err %v after %d calls: want boom after 3", err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := parallel(ctx, 3, 1, func(int) error { return nil }); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled context: %v", err)
	}
}
