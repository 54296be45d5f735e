package bootstrap

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/ui"
)

// Host is a machine to bootstrap: one reached over SSH, or this machine
// when SSH is nil.
type Host struct {
	SSH *sshx.Options
	// Interactive lets sudo ask for a password on this machine's terminal.
	Interactive bool
}

// Name names the host in messages.
func (h Host) Name() string {
	if h.SSH == nil {
		return LocalRunner{}.Target()
	}
	return h.SSH.Address()
}

// RunOne connects to one host (host key verified) and runs the script there.
func RunOne(ctx context.Context, h Host, opts Options, st Reporter) (*Result, error) {
	if h.SSH == nil {
		res, err := Run(ctx, LocalRunner{Interactive: h.Interactive}, opts, st)
		return orEmpty(res, h.Name()), err
	}
	st.Start("connect to " + h.Name())
	c, err := sshx.Dial(ctx, *h.SSH)
	st.End(err)
	if err != nil {
		err = fmt.Errorf("%s: %w", h.Name(), err)
		return &Result{Host: h.Name(), Error: err.Error()}, err
	}
	defer c.Close()
	res, err := Run(ctx, SSHRunner{Client: c}, opts, st)
	return orEmpty(res, h.Name()), err
}

func orEmpty(res *Result, name string) *Result {
	if res == nil {
		return &Result{Host: name}
	}
	return res
}

// RunMany bootstraps hosts concurrently. Each host's steps are printed as
// one block when it finishes, under one line of overall progress on st.
// The results and errors are in the order of hosts.
func RunMany(ctx context.Context, hosts []Host, opts Options, st Reporter) ([]*Result, []error) {
	results, errs := make([]*Result, len(hosts)), make([]error, len(hosts))
	st.Start(fmt.Sprintf("bootstrap %d hosts", len(hosts)))
	var mu sync.Mutex
	finished := 0
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var block bytes.Buffer
			hs := &hostStatus{Status: ui.NewPlainStatus(&block), onStart: func(step string) {
				mu.Lock()
				defer mu.Unlock()
				st.Update(fmt.Sprintf("%d of %d done; %s: %s", finished, len(hosts), h.Name(), step))
			}}
			results[i], errs[i] = RunOne(ctx, h, opts, hs)
			mu.Lock()
			defer mu.Unlock()
			finished++
			st.Println(h.Name() + ":\n" + strings.TrimRight(block.String(), "\n"))
			st.Update(fmt.Sprintf("%d of %d done", finished, len(hosts)))
		}()
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	if failed > 0 {
		st.End(fmt.Errorf("%d failed", failed))
	} else {
		st.End(nil)
	}
	return results, errs
}

// hostStatus renders one host's block and reports each step it starts to
// the overall progress line.
type hostStatus struct {
	*ui.Status
	onStart func(step string)
}

func (h *hostStatus) Start(step string) {
	h.Status.Start(step)
	h.onStart(step)
}
