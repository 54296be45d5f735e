package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
)

// LogOptions are `mlforge logs`' flags.
type LogOptions struct {
	Follow bool
	Since  string
	Tail   int
	// Idle ends a service's logs, when not following, once nothing came
	// for this long (10s): `docker service logs` sometimes never ends
	// after the last line when the service has tasks of earlier versions.
	Idle time.Duration
}

// Logs shows the logs of services of the stack across every node
// (`docker service logs`, run on the first manager; each line names the
// task and node it came from). No services means all of the stack's.
func Logs(ctx context.Context, sh Shell, m Manager, stackName string, services []string, o LogOptions, out, errOut io.Writer) error {
	if len(services) == 0 {
		res, err := m.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("label", namespaceLabel+"="+stackName)})
		if err != nil {
			return fmt.Errorf("listing the stack's services: %w", err)
		}
		for _, s := range res.Items {
			services = append(services, strings.TrimPrefix(s.Spec.Name, stackName+"_"))
		}
		if len(services) == 0 {
			return fmt.Errorf("stack %s has no services: start it with `mlforge up`", stackName)
		}
	}
	lo, le := &lineWriter{w: out}, &lineWriter{w: errOut}
	var wg sync.WaitGroup
	errList := make([]error, len(services))
	for i, name := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errList[i] = serviceLogs(ctx, sh, stackName+"_"+name, o, lo.stream(), le.stream())
			if errList[i] != nil {
				errList[i] = fmt.Errorf("logs of %s: %w", name, errList[i])
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil // interrupted while following
	}
	return errors.Join(errList...)
}

// serviceLogs shows one service's logs; not following, it ends once
// they have been quiet for o.Idle.
func serviceLogs(ctx context.Context, sh Shell, service string, o LogOptions, out, errOut *lineStream) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := &activity{w: out}
	ea := &activity{w: errOut, last: a}
	idle := make(chan struct{})
	if !o.Follow {
		go func() {
			a.quiet(runCtx, orDefault(o.Idle, 10*time.Second), 0)
			close(idle)
			cancel()
		}()
	}
	err := sh.Run(runCtx, logsCommand(service, o), nil, a, ea)
	out.flush()
	errOut.flush()
	select {
	case <-idle:
		return nil // quiet long enough: all there is
	default:
	}
	if ctx.Err() != nil {
		return nil // interrupted while following
	}
	return err
}

func logsCommand(service string, o LogOptions) string {
	cmd := "docker service logs --no-trunc"
	if o.Follow {
		cmd += " --follow"
	}
	if o.Since != "" {
		cmd += " --since " + quote(o.Since)
	}
	if o.Tail > 0 {
		cmd += fmt.Sprintf(" --tail %d", o.Tail)
	}
	return cmd + " " + quote(service)
}

// lineWriter lets several streams write whole lines to one writer.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) stream() *lineStream { return &lineStream{to: l} }

// lineStream buffers one stream's partial line.
type lineStream struct {
	to  *lineWriter
	buf []byte
}

func (s *lineStream) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	if i := strings.LastIndexByte(string(s.buf), '\n'); i >= 0 {
		s.to.mu.Lock()
		_, err := s.to.w.Write(s.buf[:i+1])
		s.to.mu.Unlock()
		s.buf = s.buf[i+1:]
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (s *lineStream) flush() {
	if len(s.buf) > 0 {
		s.to.mu.Lock()
		s.to.w.Write(s.buf)
		s.to.mu.Unlock()
		s.buf = nil
	}
}
