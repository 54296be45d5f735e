package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/mlforge/mlforge/internal/pipeline"
)

// settingsFile on the host holds the deployment's own values for the
// compose file's variables (on AWS: the artifact store on S3 and the
// region). Every compose command run there reads it, so `status`, `run`
// and `down` see the stack exactly as `up` started it.
const settingsFile = stateDir + "/deploy.env"

var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// WriteSettings records the deployment's settings on the host (mode 0600,
// replaced atomically), or removes the file when there are none, so a
// project moved from one kind of target to another converges.
type WriteSettings struct {
	Host   Runner
	Dir    string // absolute project directory on the host
	Values map[string]string

	Changed bool
	// Hash identifies the host's settings file once Run returns without
	// error (its SHA-256; "" when there is none), as SyncProject.Hash
	// does the project's copy.
	Hash    string
	current *bytes.Buffer // the host's file, once read
}

func (w *WriteSettings) String() string { return "deployment settings" }

// Render returns the file's contents: sorted KEY='value' lines a POSIX
// shell can source.
func (w *WriteSettings) Render() ([]byte, error) {
	keys := make([]string, 0, len(w.Values))
	for k := range w.Values {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("deployment setting %q: names are letters, digits and underscores", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, quote(w.Values[k]))
	}
	return b.Bytes(), nil
}

// read returns the host's settings file (empty when there is none).
func (w *WriteSettings) read(ctx context.Context) []byte {
	if w.current == nil {
		w.current = &bytes.Buffer{}
		_ = w.Host.Run(ctx, "cat "+quote(w.Dir+"/"+settingsFile)+" 2>/dev/null", nil, w.current, io.Discard)
	}
	return w.current.Bytes()
}

// Skip implements pipeline.Skipper: a target without settings, on a host
// holding none, has nothing to do.
func (w *WriteSettings) Skip(ctx context.Context) (string, bool) {
	if len(w.Values) == 0 && len(w.read(ctx)) == 0 {
		return "none for this target", true
	}
	return "", false
}

// Run implements pipeline.Step.
func (w *WriteSettings) Run(ctx context.Context, r pipeline.Reporter) error {
	data, err := w.Render()
	if err != nil {
		return err
	}
	path := quote(w.Dir + "/" + settingsFile)
	if bytes.Equal(w.read(ctx), data) {
		w.Hash = fileHash(data)
		r.Update("unchanged")
		return nil
	}
	script := "rm -f " + path
	if len(data) > 0 {
		script = `set -e
umask 077
mkdir -p ` + quote(w.Dir+"/"+stateDir) + `
cat > ` + path + `.new
mv ` + path + `.new ` + path
	}
	var stderr bytes.Buffer
	if err := w.Host.Run(ctx, script, bytes.NewReader(data), io.Discard, &stderr); err != nil {
		return fmt.Errorf("writing %s on the host: %w: %s", settingsFile, err, strings.TrimSpace(stderr.String()))
	}
	w.Changed, w.current, w.Hash = true, bytes.NewBuffer(data), fileHash(data)
	r.Update(fmt.Sprintf("%d values", len(w.Values)))
	return nil
}

// sourceSettings is the shell fragment that exports the settings file's
// values, when there is one, into the environment compose runs in.
const sourceSettings = `if [ -f ` + settingsFile + ` ]; then set -a; . ./` + settingsFile + `; set +a; fi; `

// fileHash is the SHA-256 of a settings file's contents, "" for none.
func fileHash(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
