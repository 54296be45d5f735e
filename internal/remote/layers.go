package remote

import (
	"context"
	"sync"
)

// layerClaims keeps images shipped at once from sending a layer twice.
// A layer (by chain ID) is on the host, in flight with one image, or
// neither. An image that needs a layer in flight with another waits for
// that image's load to end, holding no claim while it waits (so two images
// never wait on each other), then looks again: the layer is on the host
// if that load succeeded, free to claim if it failed.
type layerClaims struct {
	mu       sync.Mutex
	host     map[string]bool          // chain IDs the host has
	inFlight map[string]chan struct{} // closed when the load carrying it ends
}

func newLayerClaims(host map[string]bool) *layerClaims {
	if host == nil {
		host = map[string]bool{}
	}
	return &layerClaims{host: host, inFlight: map[string]chan struct{}{}}
}

// acquire waits until none of chains is in flight with another image,
// then claims those the host lacks. It returns the chains the host has
// (to leave out of the stream) and a release to call once the load ends,
// with whether it succeeded.
func (l *layerClaims) acquire(ctx context.Context, chains []string) (have map[string]bool, release func(ok bool), err error) {
	for {
		l.mu.Lock()
		wait := l.busy(chains)
		if wait == nil {
			have, release = l.claim(chains)
			l.mu.Unlock()
			return have, release, nil
		}
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, nil, context.Cause(ctx)
		}
	}
}

// busy returns the done channel of a chain in flight, nil when none is.
// Called with mu held.
func (l *layerClaims) busy(chains []string) chan struct{} {
	for _, c := range chains {
		if ch, ok := l.inFlight[c]; ok && !l.host[c] {
			return ch
		}
	}
	return nil
}

// claim marks the chains the host lacks as in flight. Called with mu held.
func (l *layerClaims) claim(chains []string) (map[string]bool, func(bool)) {
	have := map[string]bool{}
	var mine []string
	done := make(chan struct{})
	for _, c := range chains {
		if l.host[c] {
			have[c] = true
			continue
		}
		if _, ok := l.inFlight[c]; !ok {
			l.inFlight[c] = done
			mine = append(mine, c)
		}
	}
	var once sync.Once
	return have, func(ok bool) {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, c := range mine {
				delete(l.inFlight, c)
				if ok {
					l.host[c] = true
				}
			}
			close(done)
		})
	}
}
