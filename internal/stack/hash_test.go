package stack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestContentHashFollowsWhatIsCopied(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"docker/serve.Dockerfile":  "FROM python:3.11-slim\nCOPY requirements/serve.txt /tmp/r.txt\nCOPY --chown=app src/ /app/src/\nCOPY --from=builder /x /y\n",
		"docker/mlflow.Dockerfile": "FROM python:3.11-slim\nCOPY [\"requirements/mlflow.txt\", \"/tmp/r.txt\"]\n",
		"requirements/serve.txt":   "starlette==0.47\n",
		"requirements/mlflow.txt":  "mlflow==3.1\n",
		"src/app.py":               "print(1)\n",
		"src/__pycache__/app.pyc":  "junk",
		"README.md":                "docs",
		".dockerignore":            "**/__pycache__\n",
	})
	serve := &Build{Context: dir, Dockerfile: "docker/serve.Dockerfile"}
	mlflow := &Build{Context: dir, Dockerfile: "docker/mlflow.Dockerfile"}
	hash := func(b *Build) string {
		h, err := ContentHash(b)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	s0, m0 := hash(serve), hash(mlflow)

	writeTree(t, dir, map[string]string{"README.md": "more docs", "src/__pycache__/app.pyc": "other junk"})
	if hash(serve) != s0 || hash(mlflow) != m0 {
		t.Error("files no Dockerfile copies (or .dockerignore excludes) changed a hash")
	}
	writeTree(t, dir, map[string]string{"src/app.py": "print(2)\n"})
	if hash(serve) == s0 {
		t.Error("changing copied code did not change the serve image hash")
	}
	if hash(mlflow) != m0 {
		t.Error("changing serve code changed the mlflow image hash")
	}
	s1 := hash(serve)
	os.Chmod(filepath.Join(dir, "src", "app.py"), 0o755)
	if hash(serve) == s1 {
		t.Error("a mode change did not change the hash")
	}
	withArg := &Build{Context: dir, Dockerfile: "docker/serve.Dockerfile", Args: map[string]string{"BASE_IMAGE": "mirror/python:3.11"}}
	if hash(withArg) == hash(serve) {
		t.Error("a build arg did not change the hash")
	}
}

func TestCopySources(t *testing.T) {
	cases := []struct {
		df    string
		want  []string
		whole bool
	}{
		{"FROM x\nCOPY a b /dst/\nADD c.tar /\n", []string{"a", "b", "c.tar"}, false},
		{"FROM x\nCOPY --chown=1:1 --chmod=755 \\\n  run.sh /usr/bin/\n", []string{"run.sh"}, false},
		{"FROM x AS b\nCOPY --from=b /out /out\n", nil, false},
		{"FROM x\n# COPY ignored /x\nCOPY [\"with space\", \"/d\"]\n", []string{"with space"}, false},
		{"FROM x\nARG SRC\nCOPY ${SRC} /app\n", nil, true},
	}
	for _, tc := range cases {
		got, whole := copySources(instructions([]byte(tc.df)))
		if whole != tc.whole || len(got) != len(tc.want) {
			t.Errorf("%q: got %q whole=%v, want %q whole=%v", tc.df, got, whole, tc.want, tc.whole)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: got %q, want %q", tc.df, got, tc.want)
			}
		}
	}
}

func TestTargetInstructions(t *testing.T) {
	df := `ARG BASE=python
FROM ${BASE} AS base
COPY base.sh /
FROM base AS deps
COPY deps.txt /
FROM deps AS serve
COPY src/ /app/
FROM deps AS jobs
COPY data/ /data/
COPY --from=serve /app /app
FROM scratch AS tool
COPY tool /
FROM base
COPY last /
`
	cases := map[string][]string{
		"serve": {"base.sh", "deps.txt", "src/"},
		"JOBS":  {"base.sh", "deps.txt", "src/", "data/"},
		"tool":  {"tool"},
		"":      {"base.sh", "last"},
		"2":     {"base.sh", "deps.txt", "src/"},
		"nope":  {"base.sh", "deps.txt", "src/", "data/", "tool", "last"},
	}
	for target, want := range cases {
		got, _ := copySources(targetInstructions(instructions([]byte(df)), target))
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("target %q copies %q, want %q", target, got, want)
		}
	}
}

func TestRepo(t *testing.T) {
	for in, want := range map[string]string{
		"taxi-serve":                 "taxi-serve",
		"taxi-serve:latest":          "taxi-serve",
		"localhost:5000/taxi:1":      "localhost:5000/taxi",
		"localhost:5000/taxi":        "localhost:5000/taxi",
		"repo/img@sha256:abc":        "repo/img",
		"123.dkr.ecr.aws/taxi:c-abc": "123.dkr.ecr.aws/taxi",
	} {
		if got := repo(in); got != want {
			t.Errorf("repo(%q) = %q, want %q", in, got, want)
		}
	}
}
