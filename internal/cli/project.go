package cli

import (
	"path/filepath"

	"github.com/mlforge/mlforge/internal/config"
)

// loadProject finds mlforge.yaml from the working directory up, loads it
// and resolves the environment.
func loadProject(f *Factory, env string) (dir string, cfg *config.Resolved, err error) {
	path, err := configPath(f, "")
	if err != nil {
		return "", nil, err
	}
	c, err := config.Load(path)
	if err != nil {
		return "", nil, err
	}
	cfg, err = c.Resolve(env)
	if err != nil {
		return "", nil, err
	}
	return filepath.Dir(path), cfg, nil
}
