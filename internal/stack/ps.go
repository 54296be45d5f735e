package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
)

// Container is one line of `docker compose ps --format json`.
type Container struct {
	ID         string      `json:"ID"`
	Name       string      `json:"Name"`
	Service    string      `json:"Service"`
	State      string      `json:"State"`  // running, exited, created, restarting...
	Health     string      `json:"Health"` // healthy, unhealthy, starting, or ""
	ExitCode   int         `json:"ExitCode"`
	Publishers []Publisher `json:"Publishers"`
}

// Publisher is a published port of a container.
type Publisher struct {
	URL           string `json:"URL"`
	TargetPort    int    `json:"TargetPort"`
	PublishedPort int    `json:"PublishedPort"`
}

// PS lists the project's containers (all states), sorted by service.
func PS(ctx context.Context, c Compose) ([]Container, error) {
	out, err := capture(ctx, c, "ps", "--all", "--format", "json")
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	return parsePS(out)
}

// parsePS reads either one JSON array (older compose) or one object per line.
func parsePS(out []byte) ([]Container, error) {
	var list []Container
	trimmed := bytes.TrimSpace(out)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("reading compose ps: %w", err)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var c Container
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				return nil, fmt.Errorf("reading compose ps: %w", err)
			}
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Service < list[j].Service })
	return list, nil
}

// Ready reports whether a container counts as up: running, and healthy
// when it has a health check.
func (c Container) Ready(hasHealthCheck bool) bool {
	if c.State != "running" {
		return false
	}
	return !hasHealthCheck || c.Health == "healthy"
}

// Describe is a short state for people: "healthy", "starting", "exited (1)".
func (c Container) Describe() string {
	switch {
	case c.State == "running" && c.Health != "":
		return c.Health
	case c.State == "exited":
		return fmt.Sprintf("exited (%d)", c.ExitCode)
	}
	return c.State
}
