package config

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// field is a struct field as seen in YAML.
type field struct {
	index int
	name  string
	tag   reflect.StructTag
}

func fieldsOf(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = field{index: i, name: name, tag: sf.Tag}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fieldOrder lists a struct's YAML keys in declaration order.
func fieldOrder(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, field{index: i, name: name, tag: sf.Tag})
	}
	return out
}

func setDefault(v reflect.Value, def string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(def)
	case reflect.Int:
		n, _ := strconv.Atoi(def)
		v.SetInt(int64(n))
	case reflect.Bool:
		v.SetBool(def == "true")
	}
}

// applyDefaults fills every zero field of a struct that has a default tag,
// recursing into nested structs.
func applyDefaults(v reflect.Value) {
	for _, f := range fieldOrder(v.Type()) {
		fv := v.Field(f.index)
		if def, ok := f.tag.Lookup("default"); ok && fv.IsZero() {
			setDefault(fv, def)
		}
		if fv.Kind() == reflect.Struct {
			applyDefaults(fv)
		}
	}
}
