package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/moby/moby/client"
)

// LogOptions are `mlforge logs`' flags.
type LogOptions struct {
	Follow bool
	Since  string
	Tail   int
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
			l, e := lo.stream(), le.stream()
			errList[i] = sh.Run(ctx, logsCommand(stackName+"_"+name, o), nil, l, e)
			l.flush()
			e.flush()
			if errList[i] != nil && ctx.Err() == nil {
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
