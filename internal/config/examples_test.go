package config

import (
	"path/filepath"
	"testing"
)

// The example configurations in examples/ must load.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "mlforge*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found (%v)", err)
	}
	for _, f := range files {
		cfg, err := Load(f)
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		for env := range cfg.Environments {
			if _, err := cfg.Resolve(env); err != nil {
				t.Errorf("%s: environment %s: %v", f, env, err)
			}
		}
	}
}
