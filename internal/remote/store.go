package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mlforge/mlforge/internal/stack"
)

// Store keeps the deployment's records in the project's state directory
// on the host (implements stack.Store).
type Store struct {
	Host Runner
	Dir  string // absolute project directory on the host
}

func (s Store) path(name string) string { return quote(s.Dir + "/" + stack.StateDir + "/" + name) }

// Read implements stack.Store.
func (s Store) Read(ctx context.Context, name string) ([]byte, error) {
	var out, errOut bytes.Buffer
	p := s.path(name)
	if err := s.Host.Run(ctx, "if [ -f "+p+" ]; then cat "+p+"; fi", nil, &out, &errOut); err != nil {
		return nil, fmt.Errorf("reading %s on the host: %w: %s", name, err, strings.TrimSpace(errOut.String()))
	}
	if out.Len() == 0 {
		return nil, nil
	}
	return out.Bytes(), nil
}

// Write implements stack.Store.
func (s Store) Write(ctx context.Context, name string, data []byte) error {
	p := s.path(name)
	script := "rm -f " + p
	var in io.Reader
	if data != nil {
		script = "set -e; mkdir -p " + quote(s.Dir+"/"+stack.StateDir) + "; cat > " + p + ".new; mv " + p + ".new " + p
		in = bytes.NewReader(data)
	}
	var errOut bytes.Buffer
	if err := s.Host.Run(ctx, script, in, io.Discard, &errOut); err != nil {
		return fmt.Errorf("writing %s on the host: %w: %s", name, err, strings.TrimSpace(errOut.String()))
	}
	return nil
}
