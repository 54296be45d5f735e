package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/internal/stack"
)

// skipDirs are never shipped to the host.
var skipDirs = map[string]bool{".git": true, ".mlforge": true, ".venv": true, "venv": true, "__pycache__": true,
	".pytest_cache": true, ".ruff_cache": true, ".mypy_cache": true, "node_modules": true}

// stateDir on the host holds what mlforge keeps about the deployment.
const stateDir = stack.StateDir

// SyncProject copies the project directory (compose file, env file,
// configuration the services mount) to the host. The archive is built
// deterministically; when its hash matches the one recorded on the host,
// nothing is sent. Files removed locally are removed there too.
type SyncProject struct {
	Host Runner
	Src  string // local project directory
	Dest string // absolute directory on the host

	Changed bool
	Bytes   int64
	// Hash identifies the project's copy on the host once Run returns
	// without error (the archive's SHA-256).
	Hash string
}

// Runner runs a shell command on the host.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
}

func (s *SyncProject) String() string { return "sync the project" }

// Run implements pipeline.Step.
func (s *SyncProject) Run(ctx context.Context, r pipeline.Reporter) error {
	archive, list, err := Archive(s.Src)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(archive)
	hash := hex.EncodeToString(sum[:])
	var out bytes.Buffer
	_ = s.Host.Run(ctx, "cat "+quote(s.Dest+"/"+stateDir+"/sync.sha256")+" 2>/dev/null", nil, &out, io.Discard)
	if strings.TrimSpace(out.String()) == hash {
		s.Hash = hash
		r.Update("unchanged")
		return nil
	}
	// Extract, drop files no longer in the project, then record the hash.
	script := `set -e
d=` + quote(s.Dest) + `
mkdir -p "$d/` + stateDir + `"
cd "$d"
tar -xmf -
if [ -f ` + stateDir + `/files ]; then
  sort ` + stateDir + `/files > ` + stateDir + `/files.old
  sort ` + stateDir + `/files.new > ` + stateDir + `/files.sorted
  comm -23 ` + stateDir + `/files.old ` + stateDir + `/files.sorted | while IFS= read -r f; do rm -f -- "$f"; done
  rm -f ` + stateDir + `/files.old ` + stateDir + `/files.sorted
fi
mv ` + stateDir + `/files.new ` + stateDir + `/files
printf '%s\n' ` + hash + ` > ` + stateDir + `/sync.sha256`
	var stderr bytes.Buffer
	if err := s.Host.Run(ctx, script, bytes.NewReader(withList(archive, list)), io.Discard, &stderr); err != nil {
		return fmt.Errorf("copying the project to %s: %w: %s", s.Dest, err, strings.TrimSpace(stderr.String()))
	}
	s.Changed, s.Bytes, s.Hash = true, int64(len(archive)), hash
	r.Update(fmt.Sprintf("%d files, %s", len(list), human(s.Bytes)))
	return nil
}

// Archive builds a deterministic tar of dir (sorted, no timestamps or
// owners) and returns it with the list of its files.
func Archive(dir string) ([]byte, []string, error) {
	paths, err := projectFiles(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, rel := range paths {
		if err := addFile(tw, dir, rel); err != nil {
			return nil, nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), paths, nil
}

// projectFiles lists the files and links to sync, slash-separated and
// sorted, leaving out the directories never shipped.
func projectFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skipDirs[d.Name()] && p != dir {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			rel, _ := filepath.Rel(dir, p)
			if strings.ContainsAny(rel, "\n\r") {
				return fmt.Errorf("%q: file names with line breaks cannot be synced", rel)
			}
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(paths)
	return paths, err
}

// addFile writes one file or link of dir to the archive, with its mode
// and nothing that changes between runs.
func addFile(tw *tar.Writer, dir, rel string) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	h := &tar.Header{Name: rel, Mode: int64(info.Mode().Perm()), Format: tar.FormatPAX}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Linkname = tar.TypeSymlink, target
		return tw.WriteHeader(h)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = tw.Write(data)
	return err
}

// withList appends the file list to the archive as .mlforge/files.new.
func withList(archive []byte, list []string) []byte {
	// Drop the two zero blocks that end the archive, then append.
	body := archive[:len(archive)-1024]
	var buf bytes.Buffer
	buf.Write(body)
	tw := tar.NewWriter(&buf)
	data := []byte(strings.Join(list, "\n") + "\n")
	tw.WriteHeader(&tar.Header{Name: stateDir + "/files.new", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	tw.Write(data)
	tw.Close()
	return buf.Bytes()
}

// quote single-quotes s for a POSIX shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
