package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/iostreams"
)

// `mlforge new --ci` renders the chosen CI system's files only, and
// refuses a system the template does not offer with a usage error.
func TestNewCI(t *testing.T) {
	dir := t.TempDir()
	newCI := func(args ...string) (int, string) {
		ios, _, _, errOut := iostreams.Test()
		code := Run(context.Background(), NewFactory(ios), append([]string{"new", "--no-git"}, args...))
		return code, errOut.String()
	}
	for ci, want := range map[string][2]bool{"github": {true, false}, "gitlab": {false, true}, "none": {false, false}} {
		proj := filepath.Join(dir, ci)
		if code, errOut := newCI(proj, "--ci", ci); code != 0 {
			t.Fatalf("--ci %s: exit %d: %s", ci, code, errOut)
		}
		_, errGH := os.Stat(filepath.Join(proj, ".github", "workflows", "deploy.yml"))
		_, errGL := os.Stat(filepath.Join(proj, ".gitlab-ci.yml"))
		if (errGH == nil) != want[0] || (errGL == nil) != want[1] {
			t.Errorf("--ci %s: GitHub workflows %v, GitLab pipeline %v; want %v", ci, errGH == nil, errGL == nil, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{filepath.Join(dir, "x"), "--ci", "jenkins"}, `error: --ci: "jenkins" is not one of github, gitlab, none`},
		{[]string{filepath.Join(dir, "y"), "--template", "blank", "--ci", "gitlab"}, "error: --ci gitlab: template blank has no CI files"},
	} {
		code, errOut := newCI(tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
