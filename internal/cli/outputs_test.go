package cli

import (
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/testenv"
)

// TestEmptyStackCommands drives outputs, refresh and destroy through the
// real engine on an environment with nothing provisioned yet.
func TestEmptyStackCommands(t *testing.T) {
	testenv.RequirePulumi(t)
	dir, _ := awsProject(t, "  sshCidrs: [203.0.113.7/32]\n")
	t.Setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
	t.Setenv("PULUMI_HOME", t.TempDir())
	cases := []struct {
		args   []string
		out    string
		errOut string
	}{
		{[]string{"outputs"}, "", "taxi/dev has no outputs: nothing is provisioned"},
		{[]string{"outputs", "--json"}, "{}\n", ""},
		{[]string{"refresh"}, "taxi/dev refreshed: no changes\n", ""},
		{[]string{"destroy"}, "", "taxi/dev has nothing to destroy"},
		{[]string{"destroy", "--json", "--delete-data"}, "\"removed\": []", ""},
	}
	for _, c := range cases {
		r := run(t, dir, c.args...)
		if r.code != 0 || !strings.Contains(r.out, c.out) || !strings.Contains(r.errOut, c.errOut) {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", c.args, r.code, r.out, r.errOut)
		}
	}
}

func TestAWSCommandsNeedTargetAWS(t *testing.T) {
	dir, _ := awsProject(t, "")
	for _, cmd := range []string{"outputs", "refresh", "destroy", "preview"} {
		r := run(t, dir, cmd, "--target", "local")
		if r.code != 2 || !strings.Contains(r.errOut, `has target "local"`) || !strings.Contains(r.errOut, "hint: pass --target aws") {
			t.Errorf("%s --target local: exit %d, stderr %q", cmd, r.code, r.errOut)
		}
	}
}
