// Package bootstrap installs Docker Engine and Compose v2 on a host: one
// embedded POSIX sh install script (install.sh) that every path runs, over
// SSH, on this machine, or at first boot through cloud-init; the Go side
// streams the script's progress lines into the step renderer and turns its
// failures into errors that say what to do.
package bootstrap

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Channel says where Docker comes from.
type Channel string

const (
	// ChannelAuto uses the distribution's packages where they include
	// Compose v2 and Docker's repository otherwise.
	ChannelAuto Channel = ""
	// ChannelDistro uses only the distribution's packages.
	ChannelDistro Channel = "distro"
	// ChannelDockerCE uses Docker's official repository (docker-ce).
	ChannelDockerCE Channel = "docker-ce"
)

// ParseChannel accepts "", "auto", "distro" and "docker-ce".
func ParseChannel(s string) (Channel, error) {
	switch s {
	case "", "auto":
		return ChannelAuto, nil
	case string(ChannelDistro), string(ChannelDockerCE):
		return Channel(s), nil
	}
	return "", fmt.Errorf("channel %q is not one of distro, docker-ce", s)
}

// DefaultLockTimeout is how long the script waits for apt/dpkg locks and cloud-init.
const DefaultLockTimeout = 5 * time.Minute

// Options are the install script's parameters.
type Options struct {
	Channel        Channel
	DockerVersion  string        // pin, e.g. "26.1" or "27.3.1"; empty for the newest
	ComposeVersion string        // pin, e.g. "2.29"; empty for the newest
	User           string        // login user to add to the docker group; empty: the connecting user
	LockTimeout    time.Duration // apt/dpkg lock and cloud-init wait; 0 means DefaultLockTimeout
	// SkipCloudInitWait is set when the script runs from cloud-init itself.
	SkipCloudInitWait bool
	// Plan prints the commands instead of running them (for review and tests).
	Plan bool
}

// Validate checks the pins and the user name.
func (o Options) Validate() error {
	if _, err := ParseChannel(string(o.Channel)); err != nil {
		return err
	}
	for _, p := range []struct{ flag, v string }{{"docker-version", o.DockerVersion}, {"compose-version", o.ComposeVersion}} {
		if p.v != "" && !validVersion(p.v) {
			return fmt.Errorf("--%s %q is not a version like 27.3.1 or 27.3 (digits and dots)", p.flag, p.v)
		}
	}
	if o.User != "" {
		if err := validUser(o.User); err != nil {
			return fmt.Errorf("user: %w", err)
		}
	}
	if o.LockTimeout < 0 {
		return fmt.Errorf("lock timeout %s is negative", o.LockTimeout)
	}
	return nil
}

// Args renders the options as install.sh arguments. Every value is
// validated to be shell-safe, so the result can be joined into a command.
func (o Options) Args() []string {
	var a []string
	if o.Channel != ChannelAuto {
		a = append(a, "--channel", string(o.Channel))
	}
	if o.DockerVersion != "" {
		a = append(a, "--docker-version", strings.TrimPrefix(o.DockerVersion, "v"))
	}
	if o.ComposeVersion != "" {
		a = append(a, "--compose-version", strings.TrimPrefix(o.ComposeVersion, "v"))
	}
	if o.User != "" {
		a = append(a, "--user", o.User)
	}
	if o.LockTimeout > 0 {
		secs := int(o.LockTimeout.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		a = append(a, "--lock-timeout", strconv.Itoa(secs))
	}
	if o.SkipCloudInitWait {
		a = append(a, "--no-cloud-init-wait")
	}
	if o.Plan {
		a = append(a, "--plan")
	}
	return a
}

func validVersion(v string) bool {
	v = strings.TrimPrefix(v, "v")
	if v == "" || strings.HasPrefix(v, ".") || strings.HasSuffix(v, ".") || strings.Contains(v, "..") {
		return false
	}
	for _, r := range v {
		if r != '.' && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
