package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// README.md's configuration reference must list every key.
func TestReadmeListsEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	var walk func(t reflect.Type, prefix string)
	walk = func(rt reflect.Type, prefix string) {
		for rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		for _, f := range fieldOrder(rt) {
			key := prefix + f.name
			ft := rt.Field(f.index).Type
			switch {
			case f.name == "environments":
				key += ".NAME"
				if !strings.Contains(readme, "`"+key+"`") {
					t.Errorf("README.md does not document %s", key)
				}
				continue
			case ft.Kind() == reflect.Map:
				walk(ft.Elem(), key+".NAME.")
				continue
			case ft.Kind() == reflect.Struct:
				walk(ft, key+".")
				continue
			}
			if !strings.Contains(readme, "`"+key+"`") {
				t.Errorf("README.md does not document %s", key)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
}
