package provision

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/mlforge/mlforge/internal/errs"
	"github.com/mlforge/mlforge/internal/testenv"
)

func TestLocateOfflineSaysHowToProvide(t *testing.T) {
	home := t.TempDir()
	c := PulumiCLI{
		Home:     home,
		UserHome: t.TempDir(),
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound },
		Install: func(context.Context, string) (auto.PulumiCommand, error) {
			return nil, errors.New("dial tcp: lookup get.pulumi.com: no such host")
		},
	}
	_, err := c.Locate(context.Background())
	if err == nil {
		t.Fatal("want an error without any CLI")
	}
	for _, want := range []string{"no usable pulumi CLI " + PulumiVersion, "no such host", "pulumi on PATH (not found)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if hint := errs.Hint(err); !strings.Contains(hint, home+"/pulumi/"+PulumiVersion+"/bin/pulumi") {
		t.Errorf("hint does not say where to put the CLI: %q", hint)
	}
}

func TestLocateFindsPinnedCLI(t *testing.T) {
	dir := testenv.RequirePulumi(t) // HOME/.pulumi/versions/VERSION
	c := PulumiCLI{Home: t.TempDir(), UserHome: strings.TrimSuffix(dir, "/.pulumi/versions/"+PulumiVersion),
		LookPath: func(string) (string, error) { return "", exec.ErrNotFound },
		Install: func(context.Context, string) (auto.PulumiCommand, error) {
			t.Fatal("Locate downloaded although a pinned CLI exists")
			return nil, nil
		}}
	cmd, err := c.Locate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Version().String() != PulumiVersion {
		t.Errorf("version %s, want %s", cmd.Version(), PulumiVersion)
	}
}

func TestCondense(t *testing.T) {
	msg := "updating stack taxi/dev: failed to run update: exit status 255\ncode: 255\nstdout: Updating (dev):\n  error: creating EC2 Instance: UnauthorizedOperation\n  error: creating EC2 Instance: UnauthorizedOperation\nstderr: error: update failed\n"
	got := condense(msg)
	want := "updating stack taxi/dev: failed to run update: exit status 255\n  error: creating EC2 Instance: UnauthorizedOperation\n  error: update failed"
	if got != want {
		t.Errorf("condense:\n%s\nwant:\n%s", got, want)
	}
}
