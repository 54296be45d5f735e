package shscript

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestStripComments(t *testing.T) {
	in := `#!/bin/sh
# a comment

set -eu   # a trailing comment stays
	# an indented comment
echo "a # in a string"
cat > /tmp/unit <<'EOF2'
# kept: inside a here-document
[Unit]

EOF2
cat <<-END
	# kept too
	END
echo done
`
	want := `#!/bin/sh
set -eu   # a trailing comment stays
echo "a # in a string"
cat > /tmp/unit <<'EOF2'
# kept: inside a here-document
[Unit]

EOF2
cat <<-END
	# kept too
	END
echo done`
	if got := StripComments(in); got != want {
		t.Errorf("StripComments:\n%s\n--- want ---\n%s", got, want)
	}
}

// The scripts mlforge ships in user data behave the same stripped: sh
// parses them (sh -n), and a stripped script still reaches its end.
func TestStrippedScriptsParse(t *testing.T) {
	for _, f := range []string{"../../bootstrap/install.sh", "../../bootstrap/idle/idle.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stripped := StripComments(string(b))
		if len(stripped) >= len(b) {
			t.Errorf("%s: stripping saved nothing", f)
		}
		tmp := filepath.Join(t.TempDir(), "s.sh")
		if err := os.WriteFile(tmp, []byte(stripped), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("sh", "-n", tmp).CombinedOutput(); err != nil {
			t.Errorf("%s stripped does not parse: %v\n%s", f, err, out)
		}
		if !strings.HasPrefix(stripped, "#!") {
			t.Errorf("%s: shebang lost", f)
		}
	}
}
