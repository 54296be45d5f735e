package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// WriteOptions control how rendered files reach the disk.
type WriteOptions struct {
	Force  bool    // write into a non-empty directory, replacing files
	Git    bool    // git init and commit the files
	Author *Author // commit author (required when Git)
}

// Write puts files into dir. Everything is first written (and committed)
// in a staging directory; only a complete result is moved into place, so a
// failure leaves dir as it was. Writes go through os.Root, so no path or
// symlink inside dir can send a file outside it.
func Write(dir string, files []File, opts WriteOptions) (err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	existed, err := checkTarget(dir, opts)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if existed {
		parent = dir
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	stage, err := os.MkdirTemp(parent, ".mlforge-new-")
	if err != nil {
		return fmt.Errorf("creating a staging directory in %s: %w", parent, err)
	}
	if !existed {
		// MkdirTemp makes it 0700; the project directory is an ordinary one.
		if err := os.Chmod(stage, 0o755); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil || existed {
			os.RemoveAll(stage)
		}
	}()
	if err := writeFiles(stage, files); err != nil {
		return err
	}
	if opts.Git {
		if err := commit(stage, files, opts.Author); err != nil {
			return err
		}
	}
	if !existed {
		if err := os.Rename(stage, dir); err != nil {
			return fmt.Errorf("moving the project into %s: %w", dir, err)
		}
		return nil
	}
	return moveInto(dir, filepath.Base(stage))
}

// checkTarget reports whether dir exists and refuses what must not be
// overwritten.
func checkTarget(dir string, opts WriteOptions) (bool, error) {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(entries) > 0 && !opts.Force {
		return false, fmt.Errorf("%s is not empty (%d entries): choose a new directory, or pass --force to write into it", dir, len(entries))
	}
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil && opts.Git {
		return false, fmt.Errorf("%s is already a git repository: pass --no-git to add the files without committing", dir)
	}
	return true, nil
}

func writeFiles(stage string, files []File) error {
	root, err := os.OpenRoot(stage)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range files {
		if err := SafePath(f.Path); err != nil {
			return err
		}
		if d := path.Dir(f.Path); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("writing %s: %w", f.Path, err)
			}
		}
		if err := root.WriteFile(f.Path, f.Data, f.Mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		// WriteFile's mode is filtered by the umask; set it exactly.
		if err := root.Chmod(f.Path, f.Mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	return nil
}

// moveInto moves the staged tree into dir entry by entry, through os.Root
// so a symlink already in dir cannot redirect a file outside it.
func moveInto(dir, stageName string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return fs.WalkDir(root.FS(), stageName, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == stageName {
			return err
		}
		rel := p[len(stageName)+1:]
		if d.IsDir() {
			if info, err := root.Lstat(rel); err == nil && info.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s in %s is a symbolic link: refusing to write through it", rel, dir)
			} else if err == nil && !info.IsDir() {
				return fmt.Errorf("%s exists in %s and is not a directory", rel, dir)
			}
			return root.MkdirAll(rel, 0o755)
		}
		if err := root.Rename(p, rel); err != nil {
			return fmt.Errorf("moving %s into %s: %w", rel, dir, err)
		}
		return nil
	})
}
