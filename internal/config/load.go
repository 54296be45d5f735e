package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ErrNotFound is returned by Find when no mlforge.yaml is above the directory.
var ErrNotFound = errors.New("no " + FileName + " found in this directory or any parent")

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Parse(filepath.Base(path), data)
}

// Find returns the directory holding mlforge.yaml, searching dir and its
// parents the way git finds its repository.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			return dir, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotFound
		}
		dir = parent
	}
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// Parse decodes and validates a configuration document; name is used in
// error messages. Every problem is reported (as Errors), not just the first.
func Parse(name string, data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		fe := &FieldError{File: name, Line: 1, Msg: "invalid YAML: " + err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
			fe.Msg = "invalid YAML: " + m[2]
		}
		return nil, Errors{fe}
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, Errors{{File: name, Line: 1, Msg: "the file is empty: it needs at least `project: NAME`"}}
	}
	cfg := &Config{}
	d := &decoder{file: name}
	d.value(doc.Content[0], reflect.ValueOf(cfg).Elem(), "", "", true)
	if len(d.errs) == 0 {
		validate(cfg, doc.Content[0], d)
	}
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	return cfg, nil
}

// validate checks rules that span fields, reporting at the line of the key
// concerned.
func validate(cfg *Config, root *yaml.Node, d *decoder) {
	validateHosts(cfg, root, d)
	validateSwarm(cfg, root, d)
	ports := map[int]string{}
	for _, svc := range sortedKeys(cfg.Services) {
		p := cfg.Services[svc].Port
		if p == 0 {
			continue
		}
		if other, dup := ports[p]; dup {
			d.fail(lineOf(root, "services", svc, "port"), "services."+svc+".port",
				"port %d is also used by services.%s.port: give each service its own port", p, other)
		}
		ports[p] = svc
	}
	for job, j := range cfg.Jobs {
		if _, ok := cfg.Services[j.Service]; ok && cfg.Services[j.Service].Role != "" {
			d.fail(lineOf(root, "jobs", job, "service"), "jobs."+job+".service",
				"%q is a long-running service (services.%s), not a one-shot job", j.Service, j.Service)
		}
	}
}

// validateHosts checks that every environment with target ssh has a host.
func validateHosts(cfg *Config, root *yaml.Node, d *decoder) {
	for name, env := range cfg.Environments {
		target := cfg.Target
		if env.Target != "" {
			target = env.Target
		}
		host := cfg.SSH.Host
		if env.SSH != nil && env.SSH.Host != "" {
			host = env.SSH.Host
		}
		if target == "ssh" && host == "" {
			d.fail(lineOf(root, "environments", name), "environments."+name+".ssh.host",
				"target ssh needs a host: set ssh.host (user@address) here or at the top level")
		}
	}
	if cfg.Target == "ssh" && cfg.SSH.Host == "" && len(cfg.Environments) == 0 {
		d.fail(lineOf(root, "target"), "ssh.host", "target ssh needs a host: set ssh.host to user@address[:port], or pass --host")
	}
}

// lineOf finds the line of the key at path in a mapping tree, or the
// deepest line found on the way.
func lineOf(node *yaml.Node, path ...string) int {
	line := node.Line
	for _, key := range path {
		if node.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == key {
				line, node, found = node.Content[i].Line, node.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
