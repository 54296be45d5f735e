package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/bootstrap/idle"
	"github.com/mlforge/mlforge/internal/pipeline"
	"github.com/mlforge/mlforge/provision"
)

// idleStop installs or reconfigures the host's idle-stop agent, so a
// changed aws.idleStop reaches a host created before (user data runs at
// the first boot only).
type idleStop struct{ *run }

func (i idleStop) String() string { return "idle stop" }

func (i idleStop) options() (idle.Options, error) {
	o, err := provision.IdleOptions(i.t.Config)
	if err != nil {
		return idle.Options{}, err
	}
	return *o, nil
}

// fingerprint is the hash of the agent's files as this mlforge writes them.
func fingerprint(o idle.Options) (string, error) {
	files, err := idle.Files(o)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		io.WriteString(h, f.Content)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Skip implements pipeline.Skipper: the host has these very files.
func (i idleStop) Skip(ctx context.Context) (string, bool) {
	o, err := i.options()
	if err != nil {
		return "", false
	}
	want, err := fingerprint(o)
	if err != nil {
		return "", false
	}
	files, _ := idle.Files(o)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	var out bytes.Buffer
	if err := i.conn.Client.Run(ctx, "cat "+strings.Join(paths, " ")+" | sha256sum", nil, &out, io.Discard); err != nil {
		return "", false
	}
	if f := strings.Fields(out.String()); len(f) > 0 && f[0] == want {
		if o.Off {
			return "off", true
		}
		return "after " + o.Timeout.String() + " without activity", true
	}
	return "", false
}

func (i idleStop) Run(ctx context.Context, r pipeline.Reporter) error {
	o, err := i.options()
	if err != nil {
		return err
	}
	out, err := idle.Install(ctx, bootstrap.SSHRunner{Client: i.conn.Client}, o)
	if line := strings.TrimSpace(out); line != "" {
		r.Update(line)
	}
	return err
}
