package remote

import (
	"context"
	"errors"
	"sync"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// parallel runs fn(0..n-1), at most limit at a time, and returns every
// error joined. Once one fails, the calls not yet started are not made.
func parallel(ctx context.Context, n, limit int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	slots := make(chan struct{}, max(limit, 1))
	for i := 0; i < n; i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil {
		// Only the caller's context can have ended the loop.
		return context.Cause(ctx)
	}
	return errors.Join(errs...)
}

// lockedReporter lets concurrent work report through one reporter.
type lockedReporter struct {
	mu sync.Mutex
	r  pipeline.Reporter
}

func (l *lockedReporter) Update(detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Update(detail)
}

func (l *lockedReporter) Println(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r.Println(line)
}
