package adopt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mlforge/mlforge/internal/stack"
)

// composeFiles are the names compose v2 looks for, in its order.
var composeFiles = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}

// findComposeFile returns the compose file compose itself would pick in dir.
func findComposeFile(dir string) (string, error) {
	for _, name := range composeFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return name, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no compose file in %s (looked for %v): mlforge init maps an existing compose project; "+
		"for a new project run mlforge new", dir, composeFiles)
}

// overrideFiles lists the override files plain compose would merge into file.
func overrideFiles(dir, file string) []string {
	ext := filepath.Ext(file)
	name := file[:len(file)-len(ext)] + ".override" + ext
	var out []string
	for _, e := range []string{".yaml", ".yml"} {
		n := name[:len(name)-len(ext)] + e
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// model is the compose model with what adopt reads besides stack.Model.
type model struct {
	name     string
	services map[string]service
}

type service struct {
	stack.Service
	Restart string   `json:"restart"`
	Command []string `json:"command"`
	portEnv string   // variable of the first published port, from the file
}

// teeCompose runs compose in the project directory without naming the
// project, so compose derives the name as a plain `docker compose` would,
// and keeps what `config --format json` printed.
type teeCompose struct {
	dir, file string
	json      bytes.Buffer
}

// Run implements stack.Compose.
func (c *teeCompose) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if slices.Contains(args, "json") {
		stdout = io.MultiWriter(stdout, &c.json)
	}
	full := append([]string{"compose", "--project-directory", c.dir, "--file", c.file}, args...)
	cmd := exec.CommandContext(ctx, "docker", full...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// readModel asks compose for the resolved model (stack.LoadModel, the
// reader `up` uses), then reads the fields adopt needs besides.
func readModel(ctx context.Context, dir, file string) (*model, error) {
	c := &teeCompose{dir: dir, file: file}
	sm, err := stack.LoadModel(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var extra struct {
		Services map[string]service `json:"services"`
	}
	if err := json.Unmarshal(c.json.Bytes(), &extra); err != nil {
		return nil, fmt.Errorf("reading the compose model: %w", err)
	}
	envs, err := portEnvs(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	m := &model{name: sm.Name, services: map[string]service{}}
	for name, s := range sm.Services {
		e := extra.Services[name]
		e.Service, e.portEnv = s, envs[name]
		m.services[name] = e
	}
	return m, nil
}

// portVar finds ${NAME}, ${NAME:-8000} or $NAME in a published port.
var portVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?-[0-9]+)?\}?`)

// portEnvs reads, from the compose file as written, the variable each
// service's first published port comes from (compose's resolved model has
// only the number), so mlforge.yaml can set the port through it.
func portEnvs(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Services map[string]struct {
			Ports []yaml.Node `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	out := map[string]string{}
	for name, s := range doc.Services {
		if len(s.Ports) == 0 {
			continue
		}
		if v := publishedVar(&s.Ports[0]); v != "" {
			out[name] = v
		}
	}
	return out, nil
}

// publishedVar returns the variable in the published part of one port
// entry: HOST_IP:PUBLISHED:TARGET or PUBLISHED:TARGET, or published: in the
// long syntax.
func publishedVar(n *yaml.Node) string {
	published := ""
	switch n.Kind {
	case yaml.ScalarNode:
		s := n.Value
		if i := lastColon(s); i >= 0 {
			published = s[:i]
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "published" {
				published = n.Content[i+1].Value
			}
		}
	}
	m := portVar.FindAllStringSubmatch(published, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1] // the port, after a host IP variable
}

// lastColon is the index of the colon before the target port, outside ${}.
func lastColon(s string) int {
	depth, last := 0, -1
	for i, r := range s {
		switch {
		case r == '{':
			depth++
		case r == '}':
			depth--
		case r == ':' && depth == 0:
			last = i
		}
	}
	return last
}
