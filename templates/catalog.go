// Package templates holds the project templates embedded in the binary and
// the scaffolder that renders one into a directory and commits it.
//
// A template is a folder with a template.yaml manifest. Files ending in
// .tmpl are rendered with text/template using [[ ]] delimiters (so GitHub
// Actions' ${{ }} and Grafana's {{ }} pass through untouched) and lose the
// suffix; every other file is copied as is. Path segments may hold
// variables too ([[ .package ]]).
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed all:blank all:taxi-duration
var embedded embed.FS

// Catalog is a set of templates read from a file system.
type Catalog struct {
	fsys      fs.FS
	manifests map[string]*Manifest
}

// Embedded returns the templates built into the binary.
func Embedded() (*Catalog, error) { return Open(embedded) }

// Open reads every template folder at the root of fsys.
func Open(fsys fs.FS) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	c := &Catalog{fsys: fsys, manifests: map[string]*Manifest{}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		m, err := parseManifest(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		c.manifests[m.Name] = m
	}
	return c, nil
}

// List returns the manifests sorted by name.
func (c *Catalog) List() []*Manifest {
	out := make([]*Manifest, 0, len(c.manifests))
	for _, m := range c.manifests {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Default returns the template used when none is named.
func (c *Catalog) Default() string {
	for _, m := range c.List() {
		if m.Default {
			return m.Name
		}
	}
	return "blank"
}

// Get returns the named template's manifest.
func (c *Catalog) Get(name string) (*Manifest, error) {
	m, ok := c.manifests[name]
	if !ok {
		names := make([]string, 0, len(c.manifests))
		for _, m := range c.List() {
			names = append(names, m.Name)
		}
		return nil, fmt.Errorf("--template: no template named %q (available: %s)", name, strings.Join(names, ", "))
	}
	return m, nil
}
