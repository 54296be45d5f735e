package templates

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mlforge/mlforge/internal/config"
	"github.com/mlforge/mlforge/internal/testenv"
)

// Every template must produce files valid per their official formats.
func TestRenderedFormats(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	schema := devcontainerSchema(t)
	for _, m := range cat.List() {
		t.Run(m.Name, func(t *testing.T) {
			files := renderFixed(t, cat, m.Name)
			byPath := map[string]File{}
			for _, f := range files {
				byPath[f.Path] = f
			}
			cfg, ok := byPath[config.FileName]
			if !ok {
				t.Fatalf("no %s", config.FileName)
			}
			if !bytes.HasPrefix(cfg.Data, []byte("# yaml-language-server: $schema="+config.SchemaURL)) {
				t.Errorf("%s does not reference the schema on its first line", config.FileName)
			}
			if _, err := config.Parse(config.FileName, cfg.Data); err != nil {
				t.Errorf("%s does not validate:\n%v", config.FileName, err)
			}
			dc, ok := byPath[".devcontainer/devcontainer.json"]
			if !ok {
				t.Fatal("no .devcontainer/devcontainer.json")
			}
			var doc any
			if err := json.Unmarshal(stripJSONComments(dc.Data), &doc); err != nil {
				t.Fatalf("devcontainer.json: %v", err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("devcontainer.json does not match the Dev Container schema: %v", err)
			}
			checkPrivateIgnored(t, byPath)
		})
	}
}

// Private files hold secrets: they must be git-ignored by the template's
// own .gitignore so no later `git add .` commits them.
func checkPrivateIgnored(t *testing.T, byPath map[string]File) {
	gi, ok := byPath[".gitignore"]
	if !ok {
		t.Fatal("no .gitignore")
	}
	var patterns []gitignore.Pattern
	for _, line := range strings.Split(string(gi.Data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, gitignore.ParsePattern(line, nil))
		}
	}
	matcher := gitignore.NewMatcher(patterns)
	for p, f := range byPath {
		ignored := matcher.Match(strings.Split(p, "/"), false)
		if f.Private && (!ignored || f.Mode != 0o600) {
			t.Errorf("private file %s: ignored=%v mode=%o; want git-ignored and 0600", p, ignored, f.Mode)
		}
		if !f.Private && ignored {
			t.Errorf("%s is rendered and committed but the template's .gitignore ignores it", p)
		}
	}
}

func devcontainerSchema(t *testing.T) *jsonschema.Schema {
	f, err := os.Open(filepath.Join("testdata", "devContainer.base.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("devcontainer.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("devcontainer.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stripJSONComments removes // and /* */ comments outside strings (JSONC).
func stripJSONComments(in []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case inString:
			out = append(out, c)
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := bytes.Index(in[i+2:], []byte("*/"))
			if end < 0 {
				return out
			}
			i += end + 3
		default:
			out = append(out, c)
		}
	}
	return out
}

// The compose file of every template must pass Compose v2's own validation.
func TestComposeConfig(t *testing.T) {
	testenv.RequireCompose(t)
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.List() {
		t.Run(m.Name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(filepath.Join(dir, "p"), renderFixed(t, cat, m.Name), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("docker", "compose", "config", "--quiet")
			cmd.Dir = filepath.Join(dir, "p")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("docker compose config: %v\n%s", err, out)
			}
		})
	}
}

// embed.FS drops file modes, so the manifest lists executables: every file
// that is executable in the source tree must be listed, and only those.
func TestExecutableBitsMatchSource(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.List() {
		for _, f := range renderFixed(t, cat, m.Name) {
			src := filepath.Join(m.Name, filepath.FromSlash(f.Path))
			info, err := os.Stat(src)
			if err != nil {
				info, err = os.Stat(src + ".tmpl")
			}
			if err != nil {
				continue // path rendered from variables
			}
			srcExec := info.Mode()&0o111 != 0
			if srcExec != (f.Mode == 0o755) {
				t.Errorf("%s/%s: executable in source %v, rendered mode %o: keep the manifest's executable list in step",
					m.Name, f.Path, srcExec, f.Mode)
			}
			if ok, _ := path.Match("*.sh", path.Base(f.Path)); ok && f.Mode != 0o755 {
				t.Errorf("%s/%s: shell script not executable", m.Name, f.Path)
			}
		}
	}
}
