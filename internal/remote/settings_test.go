package remote

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/mlforge/mlforge/internal/sshx"
	"github.com/mlforge/mlforge/internal/sshx/sshtest"
	"github.com/mlforge/mlforge/internal/testenv"
)

func TestSettingsRender(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]string
		want    string
		wantErr string
	}{
		{name: "none", values: nil, want: ""},
		{name: "sorted and quoted",
			values: map[string]string{"MLFLOW_ARTIFACTS_DESTINATION": "s3://b/mlflow", "AWS_DEFAULT_REGION": "eu-west-1"},
			want:   "AWS_DEFAULT_REGION='eu-west-1'\nMLFLOW_ARTIFACTS_DESTINATION='s3://b/mlflow'\n"},
		{name: "shell characters stay literal",
			values: map[string]string{"ODD": `it's $HOME; rm -rf /`},
			want:   `ODD='it'\''s $HOME; rm -rf /'` + "\n"},
		{name: "bad name", values: map[string]string{"A-B": "x"}, wantErr: `deployment setting "A-B"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&WriteSettings{Values: tt.values}).Render()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// The settings written on a real host reach every compose command run
// there, stay literal however they are spelled, and go away when the
// target has none. The host's docker is a stand-in printing its
// environment: what is tested is the shell around it.
func TestSettingsReachCompose(t *testing.T) {
	testenv.RequireDocker(t)
	host := sshtest.Start(t, sshtest.Trixie)
	host.Exec(t, `printf '#!/bin/sh\necho "args: $*"\nenv\n' > /usr/local/bin/docker && chmod +x /usr/local/bin/docker`)
	ctx := context.Background()
	c, err := sshx.Dial(ctx, host.Options("root"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := "/root/mlforge/settings"
	compose := &Compose{Client: c, Dir: dir, Project: "settings", Files: []string{"docker-compose.yml"}, Env: []string{"SERVE_PORT=9797"}}
	env := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := compose.Run(ctx, []string{"ps"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	// write runs the step as a pipeline does: Skip first, then Run; hashes
	// keeps the Hash of each run.
	var hashes []string
	write := func(values map[string]string) bool {
		t.Helper()
		w := &WriteSettings{Host: c, Dir: dir, Values: values}
		if _, skip := w.Skip(ctx); skip {
			return false
		}
		if err := w.Run(ctx, quiet{}); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, w.Hash)
		return w.Changed
	}

	// Before the first sync there is no directory: compose still runs.
	if out := env(); !strings.Contains(out, "args: compose --project-name settings") || !strings.Contains(out, "SERVE_PORT=9797") {
		t.Fatalf("compose before the project exists:\n%s", out)
	}
	values := map[string]string{"MLFLOW_ARTIFACTS_DESTINATION": "s3://b/mlflow", "ODD": `it's $HOME`}
	if !write(values) {
		t.Error("the first write changed nothing")
	}
	if mode := host.Exec(t, "stat -c %a "+dir+"/.mlforge/deploy.env"); strings.TrimSpace(mode) != "600" {
		t.Errorf("deploy.env has mode %s, want 600", mode)
	}
	out := env()
	for _, line := range []string{"MLFLOW_ARTIFACTS_DESTINATION=s3://b/mlflow", `ODD=it's $HOME`, "SERVE_PORT=9797"} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("compose's environment lacks %q:\n%s", line, out)
		}
	}
	if write(values) {
		t.Error("writing the same settings again changed the host")
	}
	if !write(nil) {
		t.Error("dropping the settings changed nothing")
	}
	if out := env(); strings.Contains(out, "MLFLOW_ARTIFACTS_DESTINATION") {
		t.Errorf("dropped settings still reach compose:\n%s", out)
	}
	// The same file gives the same hash whether written or found; none, none.
	if len(hashes) != 3 || hashes[0] == "" || hashes[1] != hashes[0] || hashes[2] != "" {
		t.Errorf("settings hashes (written, unchanged, dropped) = %q", hashes)
	}
	if _, skip := (&WriteSettings{Host: c, Dir: dir}).Skip(ctx); !skip {
		t.Error("a target without settings, on a host without them, is not skipped")
	}
	if _, skip := (&WriteSettings{Host: c, Dir: dir, Values: values}).Skip(ctx); skip {
		t.Error("settings to write were skipped")
	}
}
