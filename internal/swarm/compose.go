package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mlforge/mlforge/internal/stack"
)

// Compose is the resolved compose model as `docker compose config`
// prints it (interpolated, env files merged, paths absolute where the
// command ran), kept as the loosely typed maps the stack file is derived
// from.
type Compose struct {
	Services map[string]map[string]any `json:"services"`
	Networks map[string]map[string]any `json:"networks"`
	Volumes  map[string]map[string]any `json:"volumes"`
	// Active are the services a plain `compose up` starts (no profile, or
	// an enabled one).
	Active map[string]bool `json:"-"`
}

// ReadCompose asks compose for the model with every profile, and for the
// services enabled by default.
func ReadCompose(ctx context.Context, c stack.Compose) (*Compose, error) {
	out, err := run(ctx, c, "--profile", "*", "config", "--format", "json")
	if err != nil {
		return nil, fmt.Errorf("reading the compose file: %w", err)
	}
	m := &Compose{}
	if err := json.Unmarshal(out, m); err != nil {
		return nil, fmt.Errorf("reading the compose model: %w", err)
	}
	out, err = run(ctx, c, "config", "--services")
	if err != nil {
		return nil, fmt.Errorf("reading the compose file's services: %w", err)
	}
	m.Active = map[string]bool{}
	for _, name := range strings.Fields(string(out)) {
		m.Active[name] = true
	}
	return m, nil
}

// run runs compose and returns stdout, its stderr in the error.
func run(ctx context.Context, c stack.Compose, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	if err := c.Run(ctx, args, &out, &errOut); err != nil {
		if msg := strings.TrimSpace(errOut.String()); msg != "" {
			return nil, fmt.Errorf("%w\n%s", err, msg)
		}
		return nil, err
	}
	return out.Bytes(), nil
}

// image is a service's image reference as compose runs it.
func (c *Compose) image(project, name string) string {
	if s, _ := c.Services[name]["image"].(string); s != "" {
		return s
	}
	return project + "-" + name
}
