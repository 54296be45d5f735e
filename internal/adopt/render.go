package adopt

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/mlforge/mlforge/internal/config"
)

// render writes the proposed mlforge.yaml: the schema reference first,
// comments saying where each guess came from, keys in the order of the
// templates' files.
func render(p *Plan) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", config.SchemaURL)
	b.WriteString("# Written by mlforge init from the compose project; `mlforge config validate` checks it.\n")
	b.WriteString("version: 1\n")
	fmt.Fprintf(&b, "project: %s\n", p.Project)
	b.WriteString("target: local\n\ncompose:\n")
	fmt.Fprintf(&b, "  file: %s\n", quote(p.ComposeFile))
	if len(p.Services) > 0 {
		b.WriteString("\nservices:\n")
	}
	for _, s := range p.Services {
		fmt.Fprintf(&b, "  %s:\n", quote(s.Name))
		fmt.Fprintf(&b, "    role: %s  # %s\n", s.Role, s.RoleReason)
		if s.Port != 0 {
			fmt.Fprintf(&b, "    port: %d\n", s.Port)
		}
		if s.PortEnv != "" {
			fmt.Fprintf(&b, "    portEnv: %s\n", s.PortEnv)
		}
		if s.Health != "" {
			fmt.Fprintf(&b, "    health: %s  # from the compose healthcheck\n", quote(s.Health))
		}
		if s.Title != "" {
			fmt.Fprintf(&b, "    title: %s\n", s.Title)
		}
	}
	if len(p.Jobs) > 0 {
		b.WriteString("\njobs:\n")
	}
	for _, j := range p.Jobs {
		fmt.Fprintf(&b, "  %s:  # %s\n", quote(j.Name), j.Reason)
		fmt.Fprintf(&b, "    service: %s\n", quote(j.Service))
	}
	return b.Bytes(), nil
}

// quote writes a string as a YAML scalar, quoted when plain YAML would
// read it as something else (a number, a boolean, null).
func quote(s string) string {
	switch s {
	case "", "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n":
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/') {
			return strconv.Quote(s)
		}
	}
	return s
}
