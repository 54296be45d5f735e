package config

import (
	"fmt"
	"reflect"
	"strings"
)

// DefaultEnv is the environment used when none is named.
const DefaultEnv = "dev"

// Resolved is the configuration for one environment, overrides applied.
type Resolved struct {
	*Config
	Env string
}

// ComposeProject is the compose project name.
func (c *Config) ComposeProject() string {
	if c.Compose.Project != "" {
		return c.Compose.Project
	}
	return c.Project
}

// Resolve applies the overrides of environment env (DefaultEnv when empty).
// An environment not declared is an error only when some are declared.
func (c *Config) Resolve(env string) (*Resolved, error) {
	if env == "" {
		env = DefaultEnv
	}
	if err := checkName(env); err != nil {
		return nil, fmt.Errorf("--env: %w", err)
	}
	out := *c
	e, ok := c.Environments[env]
	if !ok {
		if len(c.Environments) > 0 && env != DefaultEnv {
			return nil, fmt.Errorf("--env: environment %q is not declared in %s (declared: %s)",
				env, FileName, strings.Join(sortedKeys(c.Environments), ", "))
		}
		return &Resolved{Config: &out, Env: env}, nil
	}
	if e.Target != "" {
		out.Target = e.Target
	}
	if e.SSH != nil {
		overlay(reflect.ValueOf(&out.SSH).Elem(), reflect.ValueOf(e.SSH).Elem())
	}
	if e.AWS != nil {
		overlay(reflect.ValueOf(&out.AWS).Elem(), reflect.ValueOf(e.AWS).Elem())
	}
	return &Resolved{Config: &out, Env: env}, nil
}

// overlay copies every non-zero field of src over dst.
func overlay(dst, src reflect.Value) {
	for i := 0; i < src.NumField(); i++ {
		if f := src.Field(i); !f.IsZero() {
			dst.Field(i).Set(f)
		}
	}
}
