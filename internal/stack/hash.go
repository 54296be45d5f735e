package stack

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ContentHash fingerprints what a service's image is built from: the
// Dockerfile, build args and target, and the files its COPY and ADD
// instructions take from the context (minus .dockerignore), counting only
// the stages the target is built from. Files the image does not copy do
// not change the hash, so editing one image's code rebuilds only that
// image, also when several images are stages of one Dockerfile.
func ContentHash(b *Build) (string, error) {
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(b.Context, dockerfile)
	}
	df, err := os.ReadFile(dockerfile)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", dockerfile, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "dockerfile\x00%s\x00target\x00%s\x00", df, b.Target)
	args, _ := json.Marshal(b.Args) // map keys are sorted
	h.Write(args)

	ignore, err := dockerignore(b.Context, dockerfile)
	if err != nil {
		return "", err
	}
	sources, whole := copySources(targetInstructions(instructions(df), b.Target))
	if whole {
		sources = []string{"."}
	}
	files := map[string]bool{}
	for _, src := range sources {
		matches, err := filepath.Glob(filepath.Join(b.Context, filepath.FromSlash(src)))
		if err != nil {
			return "", fmt.Errorf("%s: COPY source %q: %w", dockerfile, src, err)
		}
		for _, m := range matches {
			if err := collect(b.Context, m, ignore, files); err != nil {
				return "", err
			}
		}
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := hashFile(h, b.Context, name); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, root, name string) error {
	p := filepath.Join(root, name)
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "file\x00%s\x00%o\x00", name, info.Mode()&(fs.ModePerm|fs.ModeSymlink))
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		_, err = io.WriteString(h, target)
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// collect adds the regular files and symlinks under p (relative to root)
// that .dockerignore does not exclude.
func collect(root, p string, ignore *patternmatcher.PatternMatcher, files map[string]bool) error {
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if ignore != nil && rel != "." {
			if skip, _ := ignore.MatchesOrParentMatches(rel); skip {
				if d.IsDir() && !ignore.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		if !d.IsDir() {
			files[rel] = true
		}
		return nil
	})
}

// dockerignore reads <Dockerfile>.dockerignore or the context's .dockerignore.
func dockerignore(context, dockerfile string) (*patternmatcher.PatternMatcher, error) {
	for _, p := range []string{dockerfile + ".dockerignore", filepath.Join(context, ".dockerignore")} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return patternmatcher.New(patterns)
	}
	return nil, nil
}

// copySources lists the context paths the COPY and ADD instructions read.
// whole is true when a source cannot be known without building
// (variables), so the whole context counts.
func copySources(lines []string) (sources []string, whole bool) {
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) < 3 {
			continue
		}
		op := strings.ToUpper(fields[0])
		if op != "COPY" && op != "ADD" {
			continue
		}
		args, fromStage := fields[1:], false
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			if strings.HasPrefix(args[0], "--from=") {
				fromStage = true
			}
			args = args[1:]
		}
		if fromStage {
			continue
		}
		rest := strings.TrimSpace(strings.Join(args, " "))
		if strings.HasPrefix(rest, "[") {
			var list []string
			if json.Unmarshal([]byte(rest), &list) == nil {
				args = list
			}
		}
		if len(args) < 2 {
			continue
		}
		for _, src := range args[:len(args)-1] {
			switch {
			case strings.Contains(src, "$"):
				return nil, true
			case strings.Contains(src, "://"):
				sources = append(sources, "\x00"+src) // remote: the URL itself counts
			default:
				sources = append(sources, strings.TrimPrefix(src, "/"))
			}
		}
	}
	return sources, false
}

// instructions joins continued lines and drops comments.
func instructions(dockerfile []byte) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\"))
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// stage is one FROM of a Dockerfile and the instructions under it.
type stage struct {
	name  string // the AS name, lower case ("" without one)
	lines []string
	deps  []string // stages it is built from or copies from: names or indexes
}

// targetInstructions keeps the instructions of the stages target is built
// from (the last stage when target is empty), and those before the first
// FROM. An unknown target keeps them all: the build itself will say.
func targetInstructions(lines []string, target string) []string {
	var global []string
	var stages []stage
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if strings.EqualFold(fields[0], "FROM") {
			stages = append(stages, fromStage(fields))
			continue
		}
		if len(stages) == 0 {
			global = append(global, line)
			continue
		}
		cur := &stages[len(stages)-1]
		cur.lines = append(cur.lines, line)
		for _, f := range fields[1:] {
			if from, ok := strings.CutPrefix(f, "--from="); ok {
				cur.deps = append(cur.deps, strings.ToLower(from))
			}
		}
	}
	want := len(stages) - 1
	if target != "" {
		want = stageIndex(stages, strings.ToLower(target))
	}
	if want < 0 {
		return lines
	}
	keep := map[int]bool{}
	markStage(stages, want, keep)
	out := global
	for i, st := range stages {
		if keep[i] {
			out = append(out, st.lines...)
		}
	}
	return out
}

// fromStage reads FROM [--platform=...] image [AS name].
func fromStage(fields []string) stage {
	args := fields[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		args = args[1:]
	}
	st := stage{}
	if len(args) > 0 {
		st.deps = []string{strings.ToLower(args[0])}
	}
	if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
		st.name = strings.ToLower(args[2])
	}
	return st
}

// stageIndex finds a stage by name or index (-1 when there is none).
func stageIndex(stages []stage, ref string) int {
	for i, st := range stages {
		if st.name != "" && st.name == ref {
			return i
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(stages) {
		return n
	}
	return -1
}

// markStage marks stage i and, transitively, the earlier stages it uses.
func markStage(stages []stage, i int, keep map[int]bool) {
	if keep[i] {
		return
	}
	keep[i] = true
	for _, d := range stages[i].deps {
		if j := stageIndex(stages[:i], d); j >= 0 {
			markStage(stages, j, keep)
		}
	}
}
