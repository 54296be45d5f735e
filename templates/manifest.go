package templates

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile names the manifest at the root of every template folder.
const ManifestFile = "template.yaml"

// Manifest describes a template: what it is, the variables it takes, and
// which rendered files are special.
type Manifest struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description" json:"description"`
	Default     bool       `yaml:"default,omitempty" json:"default"`
	Variables   []Variable `yaml:"variables,omitempty" json:"variables"`
	// Executable lists output paths (globs) written with mode 0755; embed.FS
	// does not keep file modes, so the manifest carries them.
	Executable []string `yaml:"executable,omitempty" json:"-"`
	// Private lists output paths written with mode 0600 and left out of the
	// initial commit (generated secrets); each must be git-ignored.
	Private []string `yaml:"private,omitempty" json:"-"`
	// Next is shown after a successful `mlforge new` (a template).
	Next string `yaml:"next,omitempty" json:"-"`
	// Only keeps some output paths only when a variable has a value (the
	// CI files of the chosen CI system, for example).
	Only []Condition `yaml:"only,omitempty" json:"-"`
}

// Condition renders the output paths matching Paths (globs; a glob also
// covers everything below a directory it names) only when variable Var
// equals Equals.
type Condition struct {
	Paths  []string `yaml:"paths"`
	Var    string   `yaml:"var"`
	Equals string   `yaml:"equals"`
}

// Variable is one value a template asks for.
type Variable struct {
	Name    string   `yaml:"name" json:"name"`
	Type    string   `yaml:"type" json:"type"` // string, int, bool, choice
	Default string   `yaml:"default,omitempty" json:"default,omitempty"`
	Pattern string   `yaml:"pattern,omitempty" json:"pattern,omitempty"`
	Choices []string `yaml:"choices,omitempty" json:"choices,omitempty"`
	Help    string   `yaml:"help,omitempty" json:"help,omitempty"`
}

var varName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func parseManifest(fsys fs.FS, dir string) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", dir, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	m := &Manifest{}
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("template %s: %s: %w", dir, ManifestFile, err)
	}
	if m.Name != dir {
		return nil, fmt.Errorf("template %s: manifest name %q must match its folder", dir, m.Name)
	}
	seen := map[string]bool{}
	for _, v := range m.Variables {
		if !varName.MatchString(v.Name) || seen[v.Name] {
			return nil, fmt.Errorf("template %s: variable %q: names are unique, lower-case, with underscores", dir, v.Name)
		}
		seen[v.Name] = true
		if !slices.Contains([]string{"string", "int", "bool", "choice"}, v.Type) {
			return nil, fmt.Errorf("template %s: variable %s: type %q is not string, int, bool or choice", dir, v.Name, v.Type)
		}
		if v.Pattern != "" {
			if _, err := regexp.Compile(v.Pattern); err != nil {
				return nil, fmt.Errorf("template %s: variable %s: pattern: %w", dir, v.Name, err)
			}
		}
		if v.Type == "choice" && len(v.Choices) == 0 {
			return nil, fmt.Errorf("template %s: variable %s: a choice needs choices", dir, v.Name)
		}
	}
	if err := checkConditions(m); err != nil {
		return nil, fmt.Errorf("template %s: %w", dir, err)
	}
	return m, nil
}

// checkConditions refuses conditions on undeclared variables or on values
// a choice cannot take: such a condition would silently drop files.
func checkConditions(m *Manifest) error {
	for _, c := range m.Only {
		v, ok := m.Variable(c.Var)
		if !ok {
			return fmt.Errorf("only: variable %q is not declared", c.Var)
		}
		if v.Type == "choice" && !slices.Contains(v.Choices, c.Equals) {
			return fmt.Errorf("only: %q is not one of the choices of %s (%s)", c.Equals, c.Var, strings.Join(v.Choices, ", "))
		}
		if len(c.Paths) == 0 {
			return fmt.Errorf("only: the condition on %s names no paths", c.Var)
		}
	}
	return nil
}

// Variable returns the declared variable called name.
func (m *Manifest) Variable(name string) (Variable, bool) {
	for _, v := range m.Variables {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// included reports whether output path p is rendered with vars: false when
// a condition covers p and its variable has another value.
func (m *Manifest) included(p string, vars map[string]any) bool {
	for _, c := range m.Only {
		if coveredBy(c.Paths, p) && fmt.Sprint(vars[c.Var]) != c.Equals {
			return false
		}
	}
	return true
}

// coveredBy reports whether p or one of its parent directories matches a glob.
func coveredBy(globs []string, p string) bool {
	for q := p; q != "." && q != "/"; q = path.Dir(q) {
		if matchAny(globs, q) {
			return true
		}
	}
	return false
}

// Check validates a raw value for v and returns it converted to the type
// templates see (string, int or bool).
func (v Variable) Check(raw string) (any, error) {
	switch v.Type {
	case "int":
		n, err := strconv.Atoi(raw)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %q is not a whole number", v.Name, raw)
		}
		return n, nil
	case "bool":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %q is not true or false", v.Name, raw)
		}
		return b, nil
	case "choice":
		if !slices.Contains(v.Choices, raw) {
			return nil, fmt.Errorf("variable %s: %q is not one of %s", v.Name, raw, strings.Join(v.Choices, ", "))
		}
		return raw, nil
	}
	if v.Pattern != "" && !regexp.MustCompile(v.Pattern).MatchString(raw) {
		msg := fmt.Sprintf("variable %s: %q does not match %s", v.Name, raw, v.Pattern)
		if v.Help != "" {
			msg += " (" + v.Help + ")"
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if strings.ContainsAny(raw, "\x00\n\r") {
		return nil, fmt.Errorf("variable %s: value must be a single line", v.Name)
	}
	return raw, nil
}

// executable reports whether output path p is listed as executable.
func (m *Manifest) executable(p string) bool { return matchAny(m.Executable, p) }

// private reports whether output path p is a private (uncommitted) file.
func (m *Manifest) private(p string) bool { return matchAny(m.Private, p) }

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, p); ok {
			return true
		}
	}
	return false
}
