package adopt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by Write when mlforge.yaml is already there.
var ErrExists = errors.New("already exists")

// Write writes the proposed mlforge.yaml. It never replaces a file: the
// content goes to a temporary file beside it, which is then linked into
// place (the link fails if anything took the name meanwhile), so the file
// appears whole or not at all.
func (p *Plan) Write() error {
	if _, err := os.Lstat(p.File); err == nil {
		return fmt.Errorf("%s %w: nothing written (mlforge init never overwrites; edit it, or remove it and run init again)", p.File, ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.File), ".mlforge.yaml.*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(p.YAML); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	if err := os.Link(tmp.Name(), p.File); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %w: nothing written (mlforge init never overwrites)", p.File, ErrExists)
	} else if err != nil {
		return fmt.Errorf("writing %s: %w", p.File, err)
	}
	return nil
}
