package stack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StateDir is the directory, in the project here and in its copy on a
// host, where mlforge keeps what it knows about the deployment. Sync never
// ships it.
const StateDir = ".mlforge"

// Store keeps small records of a deployment next to its stack: what `up`
// decided and later commands need (the services deliberately not
// started).
type Store interface {
	// Read returns a record, nil when there is none.
	Read(ctx context.Context, name string) ([]byte, error)
	// Write replaces a record atomically; nil data removes it.
	Write(ctx context.Context, name string, data []byte) error
}

// DirStore keeps records as files of a directory on this machine.
type DirStore struct{ Dir string }

// Read implements Store.
func (d DirStore) Read(_ context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(d.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Write implements Store.
func (d DirStore) Write(_ context.Context, name string, data []byte) error {
	path := filepath.Join(d.Dir, name)
	if data == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.Dir, "."+name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// skippedRecord names the record of the services `up` did not start.
const skippedRecord = "skipped"

// SaveSkipped records the services `up` deliberately did not start, so
// status does not count them as down.
func SaveSkipped(ctx context.Context, s Store, skip map[string]bool) error {
	var names []string
	for n, ok := range skip {
		if ok {
			names = append(names, n)
		}
	}
	var data []byte
	if len(names) > 0 {
		sort.Strings(names)
		data = []byte(strings.Join(names, "\n") + "\n")
	}
	if err := s.Write(ctx, skippedRecord, data); err != nil {
		return fmt.Errorf("recording the skipped services: %w", err)
	}
	return nil
}

// LoadSkipped returns the services the last `up` did not start.
func LoadSkipped(ctx context.Context, s Store) (map[string]bool, error) {
	out := map[string]bool{}
	if s == nil {
		return out, nil
	}
	b, err := s.Read(ctx, skippedRecord)
	if err != nil {
		return nil, fmt.Errorf("reading the skipped services: %w", err)
	}
	for _, n := range strings.Fields(string(b)) {
		out[n] = true
	}
	return out, nil
}

// startedRecord names the record of what the last start brought up.
const startedRecord = "started"

// SaveStarted records the fingerprint of what a start brought up
// (StartServices.Fingerprint); "" forgets it.
func SaveStarted(ctx context.Context, s Store, fingerprint string) error {
	var data []byte
	if fingerprint != "" {
		data = []byte(fingerprint + "\n")
	}
	if err := s.Write(ctx, startedRecord, data); err != nil {
		return fmt.Errorf("recording the started services: %w", err)
	}
	return nil
}

// LoadStarted returns the fingerprint the last start recorded, "" when
// none.
func LoadStarted(ctx context.Context, s Store) (string, error) {
	if s == nil {
		return "", nil
	}
	b, err := s.Read(ctx, startedRecord)
	return strings.TrimSpace(string(b)), err
}
