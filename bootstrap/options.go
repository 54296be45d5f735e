// Package bootstrap installs Docker Engine and Compose v2 on a host: one
// embedded POSIX sh install script (install.sh) that every path runs, over
// SSH, on this machine, or at first boot through cloud-init; the Go side
// streams the script's progress lines into the step renderer and turns its
// failures into errors that say what to do.
package bootstrap

import (
	"fmt"
	"regexp"
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

// DefaultDataWait is how long the script waits for the data volume to be
// attached: a replaced host gets it only once the old one has stopped.
const DefaultDataWait = 10 * time.Minute

// Options are the install script's parameters.
type Options struct {
	Channel        Channel
	DockerVersion  string        // pin, e.g. "26.1" or "27.3.1"; empty for the newest
	ComposeVersion string        // pin, e.g. "2.29"; empty for the newest
	User           string        // login user to add to the docker group; empty: the connecting user
	LockTimeout    time.Duration // apt/dpkg lock and cloud-init wait; 0 means DefaultLockTimeout
	// DataDevices are the paths under which a data volume may appear on
	// the host (the first that exists is used; on AWS,
	// stacks/aws.DataDevices(volume id)). Docker's named volumes then live
	// on it: formatted only when blank, mounted before Docker starts (or
	// Docker stopped while they move there), mounted again at every boot.
	DataDevices []string
	// DataWait bounds the wait for a data device to appear (the volume is
	// attached after the instance starts); 0 means DefaultDataWait.
	DataWait time.Duration
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
	if o.LockTimeout < 0 || o.DataWait < 0 {
		return fmt.Errorf("lock timeout %s or data wait %s is negative", o.LockTimeout, o.DataWait)
	}
	return validDevices(o.DataDevices)
}

// devicePath is an absolute path of shell-safe characters.
var devicePath = regexp.MustCompile(`^/[A-Za-z0-9/_.:+-]*$`)

// validDevices accepts absolute device paths of shell-safe characters.
func validDevices(devs []string) error {
	for _, d := range devs {
		if !devicePath.MatchString(d) || strings.Contains(d, "..") {
			return fmt.Errorf("data device %q: give an absolute device path such as /dev/xvdf or /dev/disk/by-id/...", d)
		}
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
		a = append(a, "--lock-timeout", strconv.Itoa(seconds(o.LockTimeout)))
	}
	for _, d := range o.DataDevices {
		a = append(a, "--data-device", d)
	}
	if o.DataWait > 0 && len(o.DataDevices) > 0 {
		a = append(a, "--data-wait", strconv.Itoa(seconds(o.DataWait)))
	}
	if o.SkipCloudInitWait {
		a = append(a, "--no-cloud-init-wait")
	}
	if o.Plan {
		a = append(a, "--plan")
	}
	return a
}

// seconds rounds d to whole seconds, at least 1.
func seconds(d time.Duration) int {
	return max(int(d.Round(time.Second)/time.Second), 1)
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
