package cli

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"

	"github.com/spf13/cobra"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/remote"
	"github.com/mlforge/mlforge/internal/ui"
)

type tunnelEntry struct {
	Service  string `json:"service"`
	Title    string `json:"title"`
	LocalURL string `json:"url"`
	Remote   int    `json:"remotePort"`
}

func newTunnelCmd(f *Factory) *cobra.Command {
	var tf targetFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tunnel [service...]",
		Short: "Forward the stack's ports on a remote host to 127.0.0.1 here, until Ctrl-C",
		Long: `Open SSH port forwards from 127.0.0.1 on this machine to the services'
ports on the host's loopback (nothing is exposed publicly), print the local
URLs, and keep them open until Ctrl-C or SIGTERM. Each service gets the same
port number here when it is free, another free port otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error { return tunnelRun(cmd.Context(), f, &tf, args, asJSON) },
	}
	tf.add(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the forwards as JSON")
	return cmd
}

func tunnelRun(ctx context.Context, f *Factory, tf *targetFlags, args []string, asJSON bool) error {
	t, err := tf.open(f)
	if err != nil {
		return err
	}
	defer t.Close()
	want := map[string]bool{}
	for _, a := range args {
		if s, ok := t.Config.Services[a]; !ok || s.Port == 0 {
			return errs.Usage(fmt.Errorf("no service %q with a port in mlforge.yaml", a))
		}
		want[a] = true
	}
	conn, err := t.Conn(ctx)
	if err != nil {
		return err
	}
	entries, listeners, err := listen(t.Config.Services, want)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(f.IO.Out, entries); err != nil {
			return err
		}
	} else {
		rows := [][]string{{"SERVICE", "URL", "HOST PORT"}}
		for _, e := range entries {
			rows = append(rows, []string{e.Title, e.LocalURL, strconv.Itoa(e.Remote)})
		}
		ui.Table(f.IO.Out, rows)
		fmt.Fprintf(f.IO.ErrOut, "forwarding to %s; Ctrl-C to stop\n", conn.Client.Address())
	}
	return forwardAll(ctx, conn, listeners, entries)
}

// listen opens a listener on 127.0.0.1 here for each service with a port
// (those in want, when any): the service's own port when it is free,
// another free port otherwise.
func listen(services map[string]config.Service, want map[string]bool) ([]tunnelEntry, []net.Listener, error) {
	var entries []tunnelEntry
	var listeners []net.Listener
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := services[n]
		if s.Port == 0 || (len(want) > 0 && !want[n]) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)))
		if err != nil {
			l, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listening for %s: %w", n, err)
		}
		listeners = append(listeners, l)
		title := s.Title
		if title == "" {
			title = n
		}
		entries = append(entries, tunnelEntry{Service: n, Title: title, Remote: s.Port, LocalURL: "http://" + l.Addr().String()})
	}
	return entries, listeners, nil
}

// forwardAll serves every listener until ctx ends (Ctrl-C, SIGTERM).
func forwardAll(ctx context.Context, t *remote.Conn, ls []net.Listener, es []tunnelEntry) error {
	var wg sync.WaitGroup
	errc := make(chan error, len(ls))
	for i, l := range ls {
		wg.Add(1)
		go func(l net.Listener, remotePort int) {
			defer wg.Done()
			if err := t.Client.Forward(ctx, l, net.JoinHostPort("127.0.0.1", strconv.Itoa(remotePort))); err != nil {
				errc <- err
			}
		}(l, es[i].Remote)
	}
	wg.Wait()
	close(errc)
	return <-errc
}
