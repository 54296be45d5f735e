package stack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/pipeline"
)

// MinCompose is the oldest Compose v2 release mlforge drives.
var MinCompose = [3]int{2, 20, 0}

// Disk space below which up refuses to start, and below which it warns.
const (
	minFreeDisk  = 2 << 30
	warnFreeDisk = 5 << 30
)

// PortClaim is a host port the configuration asks for.
type PortClaim struct {
	Port    int
	Service string
	Key     string // config key to change, e.g. services.serve.port
}

// Preflight checks the engine, compose, disk and ports before anything runs.
type Preflight struct {
	Engine  Engine
	Compose Compose
	Ports   []PortClaim
	// LocalDisk enables the free-space check (the engine's data directory
	// is on this machine).
	LocalDisk bool
	// Host names a remote host (user@addr:port) for the hints; "" here.
	Host string
	// StartWait bounds the wait for a starting container of the project
	// to list a port it holds (10 s when zero).
	StartWait time.Duration
}

func (p *Preflight) String() string { return "preflight" }

// Run implements pipeline.Step.
func (p *Preflight) Run(ctx context.Context, r pipeline.Reporter) error {
	r.Update("docker engine")
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	info, err := p.Engine.Info(ictx)
	cancel()
	if err != nil {
		return withBootstrapHint(engineError(err), p.Host)
	}
	r.Update("docker compose")
	if err := checkCompose(ctx, p.Compose); err != nil {
		return withBootstrapHint(err, p.Host)
	}
	if p.LocalDisk && info.RootDir != "" {
		var st syscall.Statfs_t
		if syscall.Statfs(info.RootDir, &st) == nil {
			free := st.Bavail * uint64(st.Bsize)
			if free < minFreeDisk {
				return errs.WithHint(fmt.Errorf("only %s free in %s (Docker's data directory); the stack needs at least %s", gib(free), info.RootDir, gib(minFreeDisk)),
					"free some space, for example with `docker system prune`")
			}
			if free < warnFreeDisk {
				r.Println(fmt.Sprintf("   warning: only %s free in %s", gib(free), info.RootDir))
			}
		}
	}
	r.Update("ports")
	wait := p.StartWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	return checkPorts(ctx, p.Compose, p.Ports, wait)
}

// withBootstrapHint points a remote host's Docker problems at bootstrap
// for that host instead of this machine.
func withBootstrapHint(err error, host string) error {
	if host == "" {
		return err
	}
	return errs.WithHint(err, "run `mlforge bootstrap --host "+host+"` to install and start Docker and Compose v2 there")
}

func gib(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }

func engineError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "permission denied"):
		return errs.WithHint(fmt.Errorf("no permission to use the Docker engine: %w", err),
			"add your user to the docker group (sudo usermod -aG docker $USER) and log in again")
	case strings.Contains(msg, "Cannot connect") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "no such file") || errors.Is(err, context.DeadlineExceeded):
		return errs.WithHint(fmt.Errorf("Docker is not running: %w", err),
			"start it (sudo systemctl start docker), or run `mlforge bootstrap --local` to install and start it")
	}
	return errs.WithHint(fmt.Errorf("cannot reach the Docker engine: %w", err), "check `docker info`; set DOCKER_HOST or `docker context use` to pick the engine")
}

func checkCompose(ctx context.Context, c Compose) error {
	out, err := capture(ctx, c, "version", "--short")
	if err != nil {
		return errs.WithHint(fmt.Errorf("Docker Compose v2 is not available: %w", err),
			"run `mlforge bootstrap --local`, or install the Compose v2 plugin (docker-compose-plugin or docker-compose-v2 package)")
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if !versionAtLeast(v, MinCompose) {
		return errs.WithHint(fmt.Errorf("Docker Compose %s is too old: mlforge needs %d.%d.%d or newer", v, MinCompose[0], MinCompose[1], MinCompose[2]),
			"upgrade the Compose plugin, or run `mlforge bootstrap --local`")
	}
	return nil
}

func versionAtLeast(v string, min [3]int) bool {
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	for i := 0; i < 3; i++ {
		n := 0
		if i < len(parts) {
			n, _ = strconv.Atoi(parts[i])
		}
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

// checkPorts fails for a configured port that something other than this
// project's own containers holds. A container of the claiming service that
// is starting (created, or restarting) holds its port before it lists it:
// the check waits up to wait for it to list the port or stop, so an up run
// right after one that was killed mid-start does not blame its own stack.
func checkPorts(ctx context.Context, c Compose, claims []PortClaim, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	var list []Container // the project's containers, listed once unless one is starting
	listed := false
	for _, cl := range claims {
		if !portHeld(cl.Port) {
			continue
		}
		for {
			if !listed {
				list, _ = PS(ctx, c) // unlisted, a held port is refused below
				listed = true
			}
			published, starting := portOwner(list, cl)
			if published {
				break
			}
			if !starting || time.Now().After(deadline) {
				return errs.WithHint(fmt.Errorf("port %d for service %s is already in use on 127.0.0.1", cl.Port, cl.Service),
					fmt.Sprintf("change %s in mlforge.yaml, or stop what listens on it (%s)", cl.Key, portUser(cl.Port)))
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(portPoll):
			}
			listed = false
		}
	}
	return nil
}

// portPoll is how often checkPorts looks again at a starting container.
const portPoll = 200 * time.Millisecond

// portHeld reports whether something listens on port on 127.0.0.1.
func portHeld(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// portOwner says whether one of the project's containers publishes the
// claimed port, and whether a container of the claiming service is
// starting (it may hold the port without listing it yet).
func portOwner(list []Container, cl PortClaim) (published, starting bool) {
	for _, ct := range list {
		for _, p := range ct.Publishers {
			if p.PublishedPort == cl.Port {
				return true, false
			}
		}
		if ct.Service == cl.Service && (ct.State == "created" || ct.State == "restarting") {
			starting = true
		}
	}
	return false, starting
}

// portUser names the process on a port when /proc tells (best effort).
func portUser(port int) string {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		return "see `ss -ltnp`"
	}
	return fmt.Sprintf("`ss -ltnp 'sport = :%d'` shows it", port)
}

// ComposeAtLeast reports whether a `docker compose version --short` is at
// least MinCompose.
func ComposeAtLeast(v string) bool { return versionAtLeast(v, MinCompose) }
