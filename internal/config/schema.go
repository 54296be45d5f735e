package config

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Schema returns the JSON Schema (draft 2020-12) of mlforge.yaml, derived
// from the same struct tags the loader enforces.
func Schema() []byte {
	root := schemaOf(reflect.TypeOf(Config{}), true)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaURL
	root["title"] = "mlforge project configuration (" + FileName + ")"
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err) // static data: cannot fail
	}
	return append(out, '\n')
}

type obj = map[string]any

func schemaOf(t reflect.Type, defaults bool) obj {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), defaults)
	case reflect.Struct:
		props := obj{}
		var required []string
		for _, f := range fieldOrder(t) {
			s := schemaOf(t.Field(f.index).Type, defaults && f.name != "environments")
			annotate(s, f.tag, t.Field(f.index).Type, defaults)
			props[f.name] = s
			if f.tag.Get("required") == "true" {
				required = append(required, f.name)
			}
		}
		s := obj{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": schemaOf(t.Elem(), defaults),
			"propertyNames": obj{"pattern": namePattern}}
	case reflect.Slice:
		return obj{"type": "array", "items": schemaOf(t.Elem(), defaults)}
	case reflect.Int:
		return obj{"type": "integer"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	}
	return obj{"type": "string"}
}

func annotate(s obj, tag reflect.StructTag, t reflect.Type, defaults bool) {
	if doc := tag.Get("doc"); doc != "" {
		s["description"] = doc
	}
	target := s
	if t.Kind() == reflect.Slice {
		target = s["items"].(obj)
	}
	if enum, ok := tag.Lookup("enum"); ok {
		target["enum"] = enumValues(enum, t)
	}
	if p, ok := tag.Lookup("pattern"); ok {
		target["pattern"] = p
	}
	if c, ok := tag.Lookup("check"); ok {
		if p, ok := checkPatterns[c]; ok && t.Kind() == reflect.Map {
			s["propertyNames"] = obj{"pattern": p}
		} else if ok {
			target["pattern"] = p
		}
	}
	for _, bound := range []struct{ tag, key string }{{"min", "minimum"}, {"max", "maximum"}} {
		if v, ok := tag.Lookup(bound.tag); ok {
			n, _ := strconv.Atoi(v)
			s[bound.key] = n
		}
	}
	if def, ok := tag.Lookup("default"); ok && defaults {
		s["default"] = typedDefault(def, t)
	}
}

// enumValues are an enum tag's values, as numbers for an int field.
func enumValues(enum string, t reflect.Type) []any {
	var vals []any
	for _, v := range strings.Split(enum, "|") {
		if t.Kind() == reflect.Int {
			n, _ := strconv.Atoi(v)
			vals = append(vals, n)
		} else {
			vals = append(vals, v)
		}
	}
	return vals
}

// typedDefault is a default tag's value in the field's JSON type.
func typedDefault(def string, t reflect.Type) any {
	switch t.Kind() {
	case reflect.Int:
		n, _ := strconv.Atoi(def)
		return n
	case reflect.Bool:
		return def == "true"
	}
	return def
}
