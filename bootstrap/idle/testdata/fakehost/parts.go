package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// serve runs h on addr until SIGTERM or SIGINT, then exits cleanly (0),
// as a well-behaved container does on docker stop.
func serve(addr string, h http.Handler) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Println("stopped cleanly")
	return nil
}

// model counts POST /predict in fake_requests_total, like the template's
// server counts taxi_requests_total; /health and /metrics do not count.
func model(args []string) error {
	fs := flag.NewFlagSet("model", flag.ContinueOnError)
	listen := fs.String("listen", ":9696", "address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /predict", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprintln(w, `{"duration": 12.5}`)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# HELP fake_requests_total Prediction requests.\n# TYPE fake_requests_total counter\n"+
			"fake_requests_total{code=\"200\",endpoint=\"predict\"} %d.0\nfake_requests_created{code=\"200\",endpoint=\"predict\"} 1.7e+09\n"+
			"fake_requests_total{code=\"422\",endpoint=\"predict\"} 0.0\n", n.Load())
	})
	return serve(*listen, mux)
}

// job prints a heartbeat line every interval, ticks times, then stays
// silent (a stalled job) until stopped.
func job(args []string) error {
	fs := flag.NewFlagSet("job", flag.ContinueOnError)
	ticks := fs.Int("ticks", 3, "heartbeat lines to print")
	every := fs.Duration("every", time.Second, "between lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	for i := 1; i <= *ticks; i++ {
		fmt.Printf("step %d of %d\n", i, *ticks)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
	<-ctx.Done()
	return nil
}

// measure runs a command n times and prints the CPU time per run and the
// largest resident set of any process it started (RUSAGE_CHILDREN).
func measure(args []string) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	n := fs.Int("n", 10, "runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for i := 0; i < *n; i++ {
		cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("runs=%d cpu_ms_per_run=%s max_rss_kb=%d\n", *n, strconv.FormatFloat(float64(cpu.Microseconds())/1000/float64(*n), 'f', 1, 64), ru.Maxrss)
	return nil
}
