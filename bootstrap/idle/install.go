package idle

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Runner runs a shell command on the host (bootstrap.SSHRunner and
// bootstrap.LocalRunner satisfy it).
type Runner interface {
	Target() string
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error
	AsRoot(cmd string) string
}

// InstallScript is a sh script that writes the agent's files (replacing
// each atomically) and installs it. Run it as root; running it again
// converges (new settings take effect, loops restart).
func InstallScript(o Options) (string, error) {
	files, err := Files(o)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("set -e\numask 022\n")
	for _, f := range files {
		dir := f.Path[:strings.LastIndex(f.Path, "/")]
		fmt.Fprintf(&b, "mkdir -p %s\nprintf '%%s' '%s' | base64 -d >%s.new\nchmod %o %s.new\nmv -f %s.new %s\n",
			dir, base64.StdEncoding.EncodeToString([]byte(f.Content)), f.Path, f.Mode, f.Path, f.Path, f.Path)
	}
	fmt.Fprintf(&b, "sh %s install\n", ScriptPath)
	return b.String(), nil
}

// Install installs (or reconfigures) the agent on a host through r, as
// root. The agent's own output says how it runs (systemd or loops).
func Install(ctx context.Context, r Runner, o Options) (string, error) {
	s, err := InstallScript(o)
	if err != nil {
		return "", err
	}
	var out, errOut bytes.Buffer
	if err := r.Run(ctx, r.AsRoot("sh -s"), strings.NewReader(s), &out, &errOut); err != nil {
		return out.String(), fmt.Errorf("installing the idle stop on %s: %w\n%s%s", r.Target(), err, out.String(), errOut.String())
	}
	return out.String(), nil
}
