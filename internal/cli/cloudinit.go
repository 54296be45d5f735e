package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mlforge/mlforge/bootstrap"
	"github.com/mlforge/mlforge/internal/errs"
)

// cloudInitFlags print the user data that bootstraps a machine at its
// first boot, for any cloud's or VM tool's user-data field.
type cloudInitFlags struct {
	Print          bool
	User           string
	AuthorizedKeys []string
	Gzip           bool
}

func (c *cloudInitFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&c.Print, "cloud-init", false, "print the #cloud-config user data that does the same at a machine's first boot (what EC2 gets), instead of running anything")
	fl.StringVar(&c.User, "user", "ubuntu", "with --cloud-init: the login user added to the docker group")
	fl.StringArrayVar(&c.AuthorizedKeys, "authorized-key", nil, "with --cloud-init: a public key file the user accepts (repeatable)")
	fl.BoolVar(&c.Gzip, "gzip", false, "with --cloud-init: gzip-compress it (binary; EC2 takes at most 16 KB, and cloud-init reads gzip)")
}

func cloudInitRun(f *Factory, opts *BootstrapOptions) error {
	c := opts.CloudInit
	if len(opts.Hosts) > 0 || opts.Local {
		return errs.Usage(errors.New("--cloud-init prints user data and runs nothing: leave out --host and --local"))
	}
	if c.Gzip && f.IO.IsStdoutTTY() {
		return errs.WithHint(errs.Usage(errors.New("--gzip writes binary data and stdout is a terminal")), "redirect it to a file: mlforge bootstrap --cloud-init --gzip > user-data.gz")
	}
	ci := bootstrap.CloudInitOptions{User: c.User, Channel: opts.Channel, Gzip: c.Gzip}
	for _, file := range c.AuthorizedKeys {
		b, err := os.ReadFile(file)
		if err != nil {
			return errs.Usage(fmt.Errorf("--authorized-key %s: %w", file, errors.Unwrap(err)))
		}
		ci.AuthorizedKeys = append(ci.AuthorizedKeys, strings.TrimSpace(string(b)))
	}
	ud, err := bootstrap.UserData(ci)
	if err != nil {
		return errs.Usage(err)
	}
	if _, err := f.IO.Out.Write(ud); err != nil {
		return err
	}
	if !c.Gzip && len(ud) > bootstrap.UserDataMax {
		fmt.Fprintf(f.IO.ErrOut, "note: %d bytes, over EC2's %d-byte limit for user data: pass --gzip for EC2 (cloud-init reads gzip)\n", len(ud), bootstrap.UserDataMax)
	}
	return nil
}
