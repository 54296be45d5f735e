package provision

import (
	"sort"

	"github.com/mlforge/mlforge/internal/remote"
)

// BuiltImages lists the repository names of the images a compose file
// builds (services with a build section): one ECR repository each, named
// by remote.RepositoryName, the function the deploy uses to find them.
func BuiltImages(composeFile string) ([]string, error) {
	repos, err := remote.ComposeRepositories(composeFile)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, name := range repos {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
