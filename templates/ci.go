package templates

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mlforge/mlforge/internal/buildinfo"
)

// CIVariable is the template variable that `mlforge new --ci` sets: which
// CI system's files (GitHub Actions workflows, a GitLab CI pipeline, or
// none) a template renders.
const CIVariable = "ci"

// SetCI routes `mlforge new --ci SYSTEM` into sets, the template's
// variables given on the command line. An empty ci leaves the template's
// default. A template without CI files accepts only "none".
func SetCI(m *Manifest, sets map[string]string, ci string) error {
	if ci == "" {
		return nil
	}
	v, ok := m.Variable(CIVariable)
	if !ok {
		if ci == "none" {
			return nil
		}
		return fmt.Errorf("--ci %s: template %s has no CI files (only --ci none applies to it)", ci, m.Name)
	}
	if _, err := v.Check(ci); err != nil {
		return fmt.Errorf("--ci: %q is not one of %s", ci, strings.Join(v.Choices, ", "))
	}
	if set, given := sets[CIVariable]; given && set != ci {
		return fmt.Errorf("--ci %s and --set %s=%s disagree: give one of them", ci, CIVariable, set)
	}
	sets[CIVariable] = ci
	return nil
}

var releaseVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)

// releaseVars are the variables every template sees about the mlforge that
// renders it: mlforge_version, the release that generated workflows and
// devcontainers install (this binary's own version when it is a release,
// else "latest"), and mlforge_ref, the git ref of the mlforge GitHub Action
// they use (the same tag, else main).
func releaseVars(version string) map[string]any {
	if releaseVersion.MatchString(version) {
		return map[string]any{"mlforge_version": version, "mlforge_ref": version}
	}
	return map[string]any{"mlforge_version": "latest", "mlforge_ref": "main"}
}

// builtVersion is the version stamped into this binary.
func builtVersion() string { return buildinfo.Get().Version }
