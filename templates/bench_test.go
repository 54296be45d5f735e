package templates

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkNewBlank measures what `mlforge new --template blank` does after
// start-up: resolve variables, render, stage, git init and commit, move.
func BenchmarkNewBlank(b *testing.B) { benchmarkNew(b, "blank") }

// BenchmarkNewTaxi is the same for the default, larger template.
func BenchmarkNewTaxi(b *testing.B) { benchmarkNew(b, "taxi-duration") }

func benchmarkNew(b *testing.B, name string) {
	cat, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	m, err := cat.Get(name)
	if err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	author := &Author{Name: "bench", Email: "bench@example.com", When: time.Unix(1700000000, 0)}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		vars, err := ResolveVars(m, nil, "demo", nil)
		if err != nil {
			b.Fatal(err)
		}
		files, err := cat.Render(name, vars, RenderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(filepath.Join(root, fmt.Sprint(i)), files, WriteOptions{Git: true, Author: author}); err != nil {
			b.Fatal(err)
		}
	}
}
