package templates

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"text/template"
	"unicode"
)

// File is one rendered output file.
type File struct {
	Path    string // slash-separated, relative to the project root
	Data    []byte
	Mode    fs.FileMode
	Private bool // written 0600 and left out of the commit
}

// RenderOptions tune rendering.
type RenderOptions struct {
	// Rand supplies randomness for generated secrets; crypto/rand when nil.
	Rand io.Reader
}

// toolCaches are what linters, test runners and interpreters leave in a
// template folder when run there during development: never template files,
// whatever was embedded.
var toolCaches = map[string]bool{"__pycache__": true, ".ruff_cache": true, ".pytest_cache": true,
	".mypy_cache": true, ".venv": true, "node_modules": true}

// Render renders template name with vars into memory. Nothing touches the
// disk, so a failure leaves nothing behind.
func (c *Catalog) Render(name string, vars map[string]any, opts RenderOptions) ([]File, error) {
	m, err := c.Get(name)
	if err != nil {
		return nil, err
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	r := &renderer{fsys: c.fsys, root: name, m: m, vars: vars, funcs: funcMap(opts.Rand)}
	err = fs.WalkDir(c.fsys, name, r.visit)
	if err != nil {
		return nil, fmt.Errorf("rendering template %s: %w", name, err)
	}
	return r.files, nil
}

// renderer renders one template's files as the walk visits them.
type renderer struct {
	fsys  fs.FS
	root  string
	m     *Manifest
	vars  map[string]any
	funcs template.FuncMap
	files []File
}

func (r *renderer) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, r.root), "/")
	if d.IsDir() && toolCaches[d.Name()] {
		return fs.SkipDir
	}
	if d.IsDir() || rel == ManifestFile {
		return nil
	}
	if !d.Type().IsRegular() {
		return fmt.Errorf("%s: only regular files may be in a template", p)
	}
	out, err := renderPath(rel, r.vars, r.funcs)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if !r.m.included(strings.TrimSuffix(out, ".tmpl"), r.vars) {
		return nil
	}
	f, err := r.file(p, out)
	if err != nil {
		return err
	}
	r.files = append(r.files, f)
	return nil
}

// file renders one template file (those ending .tmpl through the
// template engine) with its mode.
func (r *renderer) file(p, out string) (File, error) {
	data, err := fs.ReadFile(r.fsys, p)
	if err != nil {
		return File{}, err
	}
	if strings.HasSuffix(out, ".tmpl") {
		out = strings.TrimSuffix(out, ".tmpl")
		if data, err = execute(p, string(data), r.vars, r.funcs); err != nil {
			return File{}, err
		}
	}
	f := File{Path: out, Data: data, Mode: 0o644}
	switch {
	case r.m.private(out):
		f.Mode, f.Private = 0o600, true
	case r.m.executable(out):
		f.Mode = 0o755
	}
	return f, nil
}

// renderPath renders variables in a path and checks the result stays
// inside the project: relative, no "..", no empty segments.
func renderPath(rel string, vars map[string]any, funcs template.FuncMap) (string, error) {
	out := rel
	if strings.Contains(rel, "[[") {
		b, err := execute(rel, rel, vars, funcs)
		if err != nil {
			return "", err
		}
		out = string(b)
	}
	if err := SafePath(out); err != nil {
		return "", err
	}
	return out, nil
}

// SafePath rejects paths that could land outside the project directory.
func SafePath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("path %q must be relative and use forward slashes", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("path %q has an empty, \".\" or \"..\" segment", p)
		}
	}
	if path.Clean(p) != p {
		return fmt.Errorf("path %q is not clean", p)
	}
	if p == ".git" || strings.HasPrefix(p, ".git/") {
		return fmt.Errorf("path %q would write into the git repository", p)
	}
	return nil
}

func execute(name, text string, vars map[string]any, funcs template.FuncMap) ([]byte, error) {
	t, err := template.New(name).Delims("[[", "]]").Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func funcMap(r io.Reader) template.FuncMap {
	return template.FuncMap{
		"upper": strings.ToUpper,
		"lower": strings.ToLower,
		"snake": func(s string) string { return separate(s, '_') },
		"kebab": func(s string) string { return separate(s, '-') },
		"title": func(s string) string {
			words := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' })
			for i, w := range words {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
			return strings.Join(words, " ")
		},
		// secret returns n random bytes as hex, for generated passwords.
		"secret": func(n int) (string, error) {
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return "", err
			}
			return hex.EncodeToString(b), nil
		},
	}
}

// separate lower-cases s and joins its words with sep.
func separate(s string, sep rune) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '-' || r == '_' || r == ' ' || r == '.':
			b.WriteRune(sep)
		case unicode.IsUpper(r):
			if i > 0 {
				b.WriteRune(sep)
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
