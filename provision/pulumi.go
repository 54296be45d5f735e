package provision

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/mlforge/mlforge/internal/errs"
)

// PulumiVersion is the pulumi CLI version mlforge drives.
const PulumiVersion = "3.274.1"

// PulumiCLI says where to find (or install) the pulumi CLI.
type PulumiCLI struct {
	// Home is the mlforge directory; a pinned CLI is installed under
	// Home/pulumi/VERSION when none is found.
	Home string
	// LookPath finds programs on PATH (exec.LookPath by default).
	LookPath func(string) (string, error)
	// UserHome is the user's home directory (for ~/.pulumi/versions).
	UserHome string
	// Install downloads the CLI; nil means auto.InstallPulumiCommand.
	Install func(ctx context.Context, root string) (auto.PulumiCommand, error)
}

// Candidates lists the installation roots tried, in order: the mlforge
// directory's pinned copy, then ~/.pulumi/versions/VERSION.
func (c PulumiCLI) Candidates() []string {
	var roots []string
	if c.Home != "" {
		roots = append(roots, filepath.Join(c.Home, "pulumi", PulumiVersion))
	}
	if c.UserHome != "" {
		roots = append(roots, filepath.Join(c.UserHome, ".pulumi", "versions", PulumiVersion))
	}
	return roots
}

// Locate returns a usable pulumi CLI: a pinned copy, then one on PATH that
// is at least PulumiVersion, and last a download into Home/pulumi/VERSION.
// Offline with none, the error says how to provide one.
func (c PulumiCLI) Locate(ctx context.Context) (auto.PulumiCommand, error) {
	want := semver.MustParse(PulumiVersion)
	var tried []string
	for _, root := range c.Candidates() {
		if _, err := os.Stat(filepath.Join(root, "bin", "pulumi")); err != nil {
			tried = append(tried, filepath.Join(root, "bin", "pulumi")+" (absent)")
			continue
		}
		cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, Version: want})
		if err == nil {
			return cmd, nil
		}
		tried = append(tried, fmt.Sprintf("%s (%v)", root, err))
	}
	lookPath := c.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if p, err := lookPath("pulumi"); err == nil {
		cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Version: want})
		if err == nil {
			return cmd, nil
		}
		tried = append(tried, fmt.Sprintf("%s on PATH (%v)", p, err))
	} else {
		tried = append(tried, "pulumi on PATH (not found)")
	}
	install := c.Install
	if install == nil {
		install = func(ctx context.Context, root string) (auto.PulumiCommand, error) {
			return auto.InstallPulumiCommand(ctx, &auto.PulumiCommandOptions{Root: root, Version: want})
		}
	}
	if c.Home != "" {
		root := filepath.Join(c.Home, "pulumi", PulumiVersion)
		ictx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd, err := install(ictx, root)
		if err == nil {
			return cmd, nil
		}
		tried = append(tried, fmt.Sprintf("download into %s (%v)", root, err))
	}
	return nil, errs.WithHint(
		fmt.Errorf("no usable pulumi CLI %s; tried: %s", PulumiVersion, joinLines(tried)),
		fmt.Sprintf("install it from https://www.pulumi.com/docs/install/ (or copy a pulumi %s binary to %s/bin/pulumi) and run again",
			PulumiVersion, firstOr(c.Candidates(), "~/.mlforge/pulumi/"+PulumiVersion)))
}

func joinLines(items []string) string {
	s := ""
	for _, it := range items {
		s += "\n  - " + it
	}
	return s
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
