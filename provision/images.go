package provision

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BuiltImages lists the images a compose file builds (services with a
// build section), named after their image's last path element without tag,
// or after the service: one ECR repository each.
func BuiltImages(composeFile string) ([]string, error) {
	b, err := os.ReadFile(composeFile)
	if err != nil {
		return nil, fmt.Errorf("reading the compose file: %w", err)
	}
	var doc struct {
		Services map[string]struct {
			Image string `yaml:"image"`
			Build any    `yaml:"build"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", composeFile, err)
	}
	seen := map[string]bool{}
	var names []string
	for svc, s := range doc.Services {
		if s.Build == nil {
			continue
		}
		name := svc
		if s.Image != "" && !strings.Contains(s.Image, "${") {
			ref := path.Base(s.Image)
			if i := strings.IndexAny(ref, ":@"); i > 0 {
				ref = ref[:i]
			}
			name = ref
		}
		name = strings.ToLower(name)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
