// Package adopt brings an existing compose project under mlforge (`mlforge
// init`): it reads the compose model through compose itself, as `up` does,
// and proposes an mlforge.yaml that maps its services (published ports,
// HTTP health checks, roles guessed from well-known images) and one-shot
// jobs. Inspect returns the proposal for the command to show and confirm;
// Write writes it, never over an existing file.
package adopt

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/templates"
)

// Plan is the mlforge.yaml that Inspect proposes, with what it guessed.
type Plan struct {
	Dir            string // project directory
	File           string // mlforge.yaml to write
	Project        string // project name written
	ComposeProject string // the compose project name read
	ComposeFile    string // compose file, relative to Dir
	Services       []Service
	Jobs           []Job
	Skipped        []Skipped // compose services left out, and why
	Notes          []string  // derived names and other things worth confirming
	YAML           []byte    // the file's content, validated
}

// Service is a compose service mapped into mlforge.yaml.
type Service struct {
	Name       string
	Role       string // tracking, metrics, pushgateway, dashboard or other
	RoleReason string // what the role was guessed from
	Title      string
	Port       int
	PortEnv    string // variable the compose file reads the port from
	Health     string // HTTP path, from the compose healthcheck
}

// Job is a one-shot compose service mapped as a job.
type Job struct {
	Name    string
	Service string
	Reason  string // why it looks one-shot
}

// Skipped is a compose service not mapped.
type Skipped struct {
	Name   string
	Reason string
}

// Inspect reads the compose project in dir and proposes its mlforge.yaml.
// It writes nothing.
func Inspect(ctx context.Context, dir string) (*Plan, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	file, err := findComposeFile(dir)
	if err != nil {
		return nil, err
	}
	m, err := readModel(ctx, dir, file)
	if err != nil {
		return nil, err
	}
	p := &Plan{Dir: dir, File: filepath.Join(dir, config.FileName), ComposeProject: m.name, ComposeFile: file}
	p.Project = templates.DirDefault(m.name)
	if p.Project != m.name {
		p.Notes = append(p.Notes, fmt.Sprintf(
			"project: the compose project name %q is not a valid mlforge project name (2-40 lower-case letters, digits and dashes, "+
				"it also names cloud resources): using %q; mlforge runs the stack as compose project %q", m.name, p.Project, p.Project))
	}
	if others := overrideFiles(dir, file); len(others) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("compose.file: mlforge runs %s only; %v, which plain docker compose also reads, is not used",
			file, others))
	}
	mapServices(p, m)
	if p.YAML, err = render(p); err != nil {
		return nil, err
	}
	if _, err := config.Parse(config.FileName, p.YAML); err != nil {
		return nil, fmt.Errorf("the proposed %s does not validate (a bug in mlforge init):\n%w", config.FileName, err)
	}
	return p, nil
}
