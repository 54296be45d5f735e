package config

import (
	"errors"
	"regexp"
	"testing"
)

// Every error must point at a line of the file: "mlforge.yaml:N: ...".
var located = regexp.MustCompile(`^mlforge\.yaml:[0-9]+: `)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		minimal,
		"project: taxi\ntarget: aws\naws:\n  instanceType: t3.hug\n",
		"project: taxi\nservices:\n  serve: {port: 9696, role: model}\njobs:\n  train: {service: train}\n",
		"project: taxi\nenvironments:\n  prod: {aws: {volumeSize: 9}}\n",
		"project: &a taxi\ntemplate: *a\n",
		"[1, 2]", "project: [", "? x\n: y\n", "project: taxi\naws: {sshCidrs: [1.2.3.4/32, ::1/128]}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("mlforge.yaml", data)
		if err == nil {
			if cfg == nil || cfg.Project == "" {
				t.Fatalf("no error but no project: %+v", cfg)
			}
			return
		}
		var list Errors
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a located list: %v", err)
		}
		for _, e := range list {
			if !located.MatchString(e.Error()) {
				t.Fatalf("error without a line: %q", e.Error())
			}
		}
	})
}
