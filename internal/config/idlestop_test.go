package config

import (
	"strings"
	"testing"
)

// aws.idleStop: 60m by default, any duration from 10m to 168h, or off;
// anything else is an error naming the line and the field.
func TestIdleStop(t *testing.T) {
	cfg, err := Parse("mlforge.yaml", []byte(minimal))
	if err != nil || cfg.AWS.IdleStop != "60m" {
		t.Fatalf("default: %q %v", cfg.AWS.IdleStop, err)
	}
	for _, v := range []string{"off", "2h", "90m", "1h30m"} {
		cfg, err := Parse("mlforge.yaml", []byte("project: taxi\naws:\n  idleStop: "+v+"\nenvironments:\n  prod:\n    aws: {idleStop: \"off\"}\n"))
		if err != nil || cfg.AWS.IdleStop != v {
			t.Errorf("%s: %q %v", v, cfg.AWS.IdleStop, err)
			continue
		}
		prod, err := cfg.Resolve("prod")
		if err != nil || prod.AWS.IdleStop != "off" {
			t.Errorf("environment override: %+v %v", prod.AWS, err)
		}
	}
	for v, want := range map[string]string{
		"5m":    `mlforge.yaml:3: aws.idleStop: "5m" is outside 10m to 168h (or off to never stop)`,
		"never": `mlforge.yaml:3: aws.idleStop: "never" is not a duration like 60m or 2h (or off to never stop)`,
	} {
		_, err := Parse("mlforge.yaml", []byte("project: taxi\naws:\n  idleStop: "+v+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", v, err, want)
		}
	}
}
