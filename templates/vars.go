package templates

import (
	"fmt"
	"regexp"
	"strings"
)

// Asker prompts for a variable's value (on a terminal only).
type Asker interface {
	Input(question, help, def string, validate func(string) error) (string, error)
}

// ParseSets parses repeated --set key=value flags.
func ParseSets(sets []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: expected key=value", s)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("--set %s: given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// DirDefault turns a directory name into a project name candidate.
func DirDefault(dir string) string {
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(dir), "-"), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "project-" + s
	}
	if len(s) > 40 {
		s = s[:40]
	}
	s = strings.TrimRight(s, "-")
	if len(s) < 2 {
		s += "-project" // names need two characters or more
	}
	return s
}

// checkSets refuses a --set of a variable the template does not have.
func checkSets(m *Manifest, sets map[string]string) error {
	known := map[string]bool{}
	names := make([]string, 0, len(m.Variables))
	for _, v := range m.Variables {
		known[v.Name] = true
		names = append(names, v.Name)
	}
	for k := range sets {
		if !known[k] {
			return fmt.Errorf("--set %s: template %s has no such variable (variables: %s)", k, m.Name, strings.Join(names, ", "))
		}
	}
	return nil
}

// ResolveVars fills every variable of m: from sets, else by asking (when ask
// is not nil), else from the default. Defaults may refer to variables
// declared before them and to .dir_name.
func ResolveVars(m *Manifest, sets map[string]string, dirName string, ask Asker) (map[string]any, error) {
	if err := checkSets(m, sets); err != nil {
		return nil, err
	}
	vars := map[string]any{"dir_name": DirDefault(dirName)}
	for k, v := range releaseVars(builtVersion()) {
		vars[k] = v
	}
	for _, v := range m.Variables {
		def := v.Default
		if strings.Contains(def, "[[") {
			b, err := execute(v.Name+".default", def, vars, funcMap(nil))
			if err != nil {
				return nil, fmt.Errorf("template %s: variable %s: default: %w", m.Name, v.Name, err)
			}
			def = string(b)
		}
		raw, given := sets[v.Name]
		switch {
		case given:
		case ask != nil:
			answer, err := ask.Input(v.Name, v.Help, def, func(s string) error { _, err := v.Check(s); return err })
			if err != nil {
				return nil, err
			}
			raw = answer
		default:
			raw = def
		}
		if raw == "" && v.Type != "string" {
			return nil, fmt.Errorf("variable %s has no value: pass --set %s=VALUE", v.Name, v.Name)
		}
		val, err := v.Check(raw)
		switch {
		case err != nil && given:
			return nil, fmt.Errorf("--set %s: %w", v.Name, err)
		case err != nil:
			return nil, fmt.Errorf("%w: pass --set %s=VALUE", err, v.Name)
		}
		vars[v.Name] = val
	}
	return vars, nil
}
