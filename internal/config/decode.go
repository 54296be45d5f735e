package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a YAML node tree into tagged structs, collecting every
// problem with its line and field path instead of stopping at the first.
type decoder struct {
	file string
	errs Errors
}

func (d *decoder) fail(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// value decodes node into v (addressable), at path; defaults says whether
// absent keys take their `default` tag (not inside environment overrides).
func (d *decoder) value(node *yaml.Node, v reflect.Value, path string, tag reflect.StructTag, defaults bool) {
	if node.Kind == yaml.AliasNode {
		node = node.Alias
	}
	if isNull(node) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(node, v.Elem(), path, tag, defaults)
	case reflect.Struct:
		d.structure(node, v, path, defaults)
	case reflect.Map:
		d.mapping(node, v, path, tag, defaults)
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			d.fail(node.Line, path, "expected a list, got %s", describe(node))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), tag, defaults)
		}
		v.Set(s)
	default:
		d.scalar(node, v, path, tag)
	}
}

func (d *decoder) structure(node *yaml.Node, v reflect.Value, path string, defaults bool) {
	if node.Kind != yaml.MappingNode {
		d.fail(node.Line, path, "expected a mapping of keys to values, got %s", describe(node))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		d.field(node.Content[i], node.Content[i+1], v, fields, seen, path, defaults)
	}
	d.absent(node, v, fields, seen, path, defaults)
}

// field decodes one key of a mapping into its struct field.
func (d *decoder) field(key, val *yaml.Node, v reflect.Value, fields map[string]field, seen map[string]bool, path string, defaults bool) {
	f, ok := fields[key.Value]
	switch {
	case !ok:
		d.fail(key.Line, join(path, key.Value), "unknown key%s", suggest(key.Value, fields))
		return
	case seen[key.Value]:
		d.fail(key.Line, join(path, key.Value), "key given twice")
		return
	}
	if isNull(val) || (val.Kind == yaml.AliasNode && val.Alias != nil && isNull(val.Alias)) {
		// An empty value is as if the key were absent: defaults apply.
		if f.tag.Get("required") == "true" {
			d.fail(key.Line, join(path, key.Value), "required key has no value")
			seen[key.Value] = true
		}
		return
	}
	seen[key.Value] = true
	d.value(val, v.Field(f.index), join(path, key.Value), f.tag, defaults && f.name != "environments")
}

// absent handles the fields a mapping did not give: required ones are
// errors, the others take their defaults.
func (d *decoder) absent(node *yaml.Node, v reflect.Value, fields map[string]field, seen map[string]bool, path string, defaults bool) {
	for _, name := range sortedKeys(fields) {
		f := fields[name]
		if seen[name] {
			continue
		}
		if f.tag.Get("required") == "true" {
			d.fail(node.Line, join(path, name), "required key is missing")
		}
		if def, ok := f.tag.Lookup("default"); ok && defaults {
			setDefault(v.Field(f.index), def)
		}
		if defaults && v.Field(f.index).Kind() == reflect.Struct {
			applyDefaults(v.Field(f.index))
		}
	}
}

func (d *decoder) mapping(node *yaml.Node, v reflect.Value, path string, tag reflect.StructTag, defaults bool) {
	if node.Kind != yaml.MappingNode {
		d.fail(node.Line, path, "expected a mapping of names to values, got %s", describe(node))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i], node.Content[i+1]
		p := join(path, key.Value)
		if c := tag.Get("check"); strings.HasSuffix(c, "-keys") {
			if err := checks[c](key.Value); err != nil {
				d.fail(key.Line, p, "%v", err)
				continue
			}
		}
		if v.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
			d.fail(key.Line, p, "key given twice")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, elem, p, "", defaults)
		if isNull(val) && defaults && elem.Kind() == reflect.Struct {
			applyDefaults(elem)
		}
		v.SetMapIndex(reflect.ValueOf(key.Value), elem)
	}
}

func (d *decoder) scalar(node *yaml.Node, v reflect.Value, path string, tag reflect.StructTag) {
	if node.Kind != yaml.ScalarNode {
		d.fail(node.Line, path, "expected a single value, got %s", describe(node))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if node.Tag != "!!str" && node.Tag != "!!int" && node.Tag != "!!float" {
			d.fail(node.Line, path, "expected a string, got %s", describe(node))
			return
		}
		v.SetString(node.Value)
		if err := checkString(node.Value, tag); err != nil {
			d.fail(node.Line, path, "%v", err)
		}
	case reflect.Int:
		n, err := strconv.Atoi(node.Value)
		if err != nil || node.Tag != "!!int" {
			d.fail(node.Line, path, "expected a whole number, got %s", describe(node))
			return
		}
		v.SetInt(int64(n))
		if err := checkInt(n, tag); err != nil {
			d.fail(node.Line, path, "%v", err)
		}
	case reflect.Bool:
		if node.Tag != "!!bool" {
			d.fail(node.Line, path, "expected true or false, got %s", describe(node))
			return
		}
		v.SetBool(node.Value == "true" || node.Value == "True" || node.Value == "TRUE")
	default:
		d.fail(node.Line, path, "cannot hold a value of this kind")
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest proposes the closest known key, for typos.
func suggest(key string, fields map[string]field) string {
	best, bestDist := "", 3
	for name := range fields {
		if dist := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Sprintf(" (known keys: %s)", strings.Join(sortedKeys(fields), ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
