package templates

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedRand makes generated secrets repeatable in golden files.
type fixedRand struct{ n byte }

func (r *fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// renderFixed renders a template with its defaults, dir_name "demo".
func renderFixed(t testing.TB, cat *Catalog, name string) []File {
	t.Helper()
	return renderIn(t, cat, name, nil, "demo")
}

// renderIn renders a template for a directory named dir, with sets, and
// repeatable secrets.
func renderIn(t testing.TB, cat *Catalog, name string, sets map[string]string, dir string) []File {
	t.Helper()
	m, err := cat.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := ResolveVars(m, sets, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Rendered as a development build would, whatever version this test
	// binary carries (a tagged checkout stamps one).
	for k, v := range releaseVars("dev") {
		vars[k] = v
	}
	files, err := cat.Render(name, vars, RenderOptions{Rand: &fixedRand{}})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// archive serialises files as one text document: a header line per file
// with its path and mode, then its content. One file per template keeps
// rendered .gitignore files from acting on this repository.
func archive(files []File) []byte {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var b bytes.Buffer
	for _, f := range sorted {
		if !utf8.Valid(f.Data) {
			// Binary files (data samples) by digest: the golden file stays text.
			fmt.Fprintf(&b, "-- %s (%04o) binary, %d bytes, sha256 %x --\n", f.Path, f.Mode, len(f.Data), sha256.Sum256(f.Data))
			continue
		}
		fmt.Fprintf(&b, "-- %s (%04o) --\n", f.Path, f.Mode)
		b.Write(f.Data)
		if len(f.Data) > 0 && !bytes.HasSuffix(f.Data, []byte("\n")) {
			b.WriteString("\n-- (no newline at end of file) --\n")
		}
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.List() {
		t.Run(m.Name, func(t *testing.T) {
			got := archive(renderFixed(t, cat, m.Name))
			path := filepath.Join("testdata", "golden", m.Name+".txtar")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./templates -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("rendered %s differs from %s (run go test ./templates -update and review the diff):\n%s",
					m.Name, path, firstDiff(string(want), string(got)))
			}
		})
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return ""
}
