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
// so a symlink already in dir cannot redirect a file outside it. Every
// conflict is found before anything moves; a move that still fails half-way
// is undone (files put back, replaced ones restored), so dir ends as it
// was or complete.
func moveInto(dir, stageName string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	entries, err := planMove(root, dir, stageName)
	if err != nil {
		return err
	}
	m := &mover{root: root, stage: stageName}
	for _, e := range entries {
		if err := m.move(e); err != nil {
			if rerr := m.undo(); rerr != nil {
				return fmt.Errorf("%w; undoing it failed too (%v): compare %s with the template", err, rerr, dir)
			}
			return err
		}
	}
	return nil
}

// moveEntry is one staged file or directory and where it goes.
type moveEntry struct {
	staged, rel string
	dir         bool
}

// planMove lists the staged entries, refusing any that would write
// through a symbolic link or meet a file of the other kind in dir. (A
// symbolic link where a file goes is replaced, never written through.)
func planMove(root *os.Root, dir, stageName string) ([]moveEntry, error) {
	var entries []moveEntry
	err := fs.WalkDir(root.FS(), stageName, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == stageName {
			return err
		}
		e := moveEntry{staged: p, rel: p[len(stageName)+1:], dir: d.IsDir()}
		info, lerr := root.Lstat(e.rel)
		switch {
		case lerr != nil:
		case e.dir && info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s in %s is a symbolic link: refusing to write through it", e.rel, dir)
		case e.dir && !info.IsDir():
			return fmt.Errorf("%s exists in %s and is not a directory", e.rel, dir)
		case !e.dir && info.IsDir():
			return fmt.Errorf("%s exists in %s as a directory, where the template has a file", e.rel, dir)
		}
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

// mover moves entries into place and remembers how to undo it.
type mover struct {
	root    *os.Root
	stage   string
	created []string // directories made, in order
	moved   []string // files moved into place
	backups []string // files moved aside, by moved's index ("" for none)
}

func (m *mover) move(e moveEntry) error {
	if e.dir {
		if _, err := m.root.Lstat(e.rel); err == nil {
			return nil
		}
		if err := m.root.Mkdir(e.rel, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", e.rel, err)
		}
		m.created = append(m.created, e.rel)
		return nil
	}
	backup := ""
	if _, err := m.root.Lstat(e.rel); err == nil {
		backup = path.Join(m.stage, ".replaced-"+fmt.Sprint(len(m.moved)))
		if err := m.root.Rename(e.rel, backup); err != nil {
			return fmt.Errorf("moving %s aside: %w", e.rel, err)
		}
	}
	if err := m.root.Rename(e.staged, e.rel); err != nil {
		if backup != "" {
			_ = m.root.Rename(backup, e.rel)
		}
		return fmt.Errorf("moving %s into place: %w", e.rel, err)
	}
	m.moved, m.backups = append(m.moved, e.rel), append(m.backups, backup)
	return nil
}

// undo puts everything back as it was, last move first.
func (m *mover) undo() error {
	var errs []error
	for i := len(m.moved) - 1; i >= 0; i-- {
		if err := m.root.Remove(m.moved[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		if m.backups[i] != "" {
			errs = append(errs, m.root.Rename(m.backups[i], m.moved[i]))
		}
	}
	for i := len(m.created) - 1; i >= 0; i-- {
		errs = append(errs, m.root.Remove(m.created[i]))
	}
	return errors.Join(errs...)
}
