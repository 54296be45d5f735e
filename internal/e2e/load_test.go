package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// loadResult counts what a bounded load saw.
type loadResult struct {
	mu       sync.Mutex
	served   int
	failed   int
	errors   []string       // the first few failures
	versions map[string]int // responses by the version that answered
	hosts    map[string]int // responses by the replica that answered
	last     string         // version of the last response
	lastAt   time.Time      // when a response last came from another version
	started  time.Time
}

func (l *loadResult) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d served, %d failed, by version %v, by replica %v", l.served, l.failed, l.versions, l.hosts)
}

// sinceOnly reports how long every response has come from version.
func (l *loadResult) sinceOnly(version string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last != version || l.lastAt.IsZero() {
		return 0
	}
	return time.Since(l.lastAt)
}

// runLoad POSTs to url at rate requests per second until ctx ends or
// limit passes (a load test stops by itself), counting every answer that
// is not a 200 as failed. It returns at once; wait() waits for the end.
func runLoad(ctx context.Context, url string, rate int, limit time.Duration) (*loadResult, func()) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	res := &loadResult{versions: map[string]int{}, hosts: map[string]int{}, started: time.Now()}
	// Longer than the proxy's wait for a replica (15s) plus a retry: a
	// request caught on a replica whose host died is answered by another.
	client := &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res.record(request(client, url))
			}()
		}
	}()
	return res, func() { <-done; cancel() }
}

// answer is one response of the test app, or why there was none.
type answer struct {
	Version, Host string
	err           error
}

func request(c *http.Client, url string) answer {
	// Its own context: a request in flight when the load ends completes.
	resp, err := c.Post(url, "application/json", bytes.NewReader([]byte(`{"ride": 1}`)))
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{err: fmt.Errorf("HTTP %d, body cut after %d bytes: %w", resp.StatusCode, len(body), err)}
	}
	if resp.StatusCode != http.StatusOK {
		return answer{err: fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))}
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{err: fmt.Errorf("reading %q: %w", body, err)}
	}
	return a
}

func (l *loadResult) record(a answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.err != nil {
		l.failed++
		if len(l.errors) < 10 {
			l.errors = append(l.errors, a.err.Error())
		}
		return
	}
	l.served++
	l.versions[a.Version]++
	l.hosts[a.Host]++
	if a.Version != l.last {
		l.last, l.lastAt = a.Version, time.Now()
	}
}

// replicas lists the replicas that answered.
func (l *loadResult) replicas() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for h := range l.hosts {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}
