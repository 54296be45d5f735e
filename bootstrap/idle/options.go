// Package idle is the agent that stops an AWS host from inside when nobody
// uses it, so it works with the laptop closed: a POSIX sh program run by a
// systemd timer (or a background loop where there is no systemd) that
// counts requests to the model server, running jobs with a recent
// heartbeat, SSH sessions and tunnels, and CPU/GPU load as activity, and
// after Timeout without any powers the instance off (an instance-initiated
// shutdown, which EC2 turns into a stop: no IAM rights needed). With Spot
// it also watches the metadata service for an interruption notice and
// stops the compose stack cleanly before EC2 stops the instance.
//
// This package renders the agent's files and the commands that install
// them, for cloud-init (CloudInit) and over SSH (Install), and reads the
// state file the agent keeps for mlforge (ParseState).
package idle

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout      = 60 * time.Minute
	DefaultInterval     = time.Minute
	DefaultStallLimit   = 2 * time.Hour
	DefaultThreshold    = 10 // percent of CPU or GPU
	DefaultSpotPoll     = 5 * time.Second
	DefaultIMDS         = "http://169.254.169.254"
	DefaultStopCommand  = "poweroff"
	DefaultJobLabel     = "mlforge.job"
	DefaultComposeGrace = 60 * time.Second
)

// Options configure the agent. Zero values take the defaults.
type Options struct {
	// Off disables the stop; the agent still records activity (and, with
	// Spot, still stops the stack on an interruption notice).
	Off     bool
	Timeout time.Duration // no activity for this long stops the instance
	// Interval is how often activity is checked.
	Interval time.Duration
	// StallLimit: a job whose last output (its heartbeat) is older than
	// this no longer counts as activity.
	StallLimit time.Duration
	// CPUThreshold and GPUThreshold are the busy levels in percent (1-100;
	// 100 means load never counts).
	CPUThreshold int
	GPUThreshold int
	// Project is the compose project whose one-off containers are jobs.
	Project string
	// JobLabel marks other containers that count as jobs.
	JobLabel string
	// ModelMetricsURL and ModelCounter name the model server's Prometheus
	// counter of prediction requests (e.g. http://127.0.0.1:9696/metrics
	// and taxi_requests_total); both empty to not watch requests.
	ModelMetricsURL string
	ModelCounter    string
	SSHPorts        []int // sshd's ports; default 22
	Spot            bool
	SpotPoll        time.Duration
	IMDSURL         string // the metadata service; tests point it elsewhere
	// StopCommand stops the instance; tests replace it with one that
	// records. It runs with IDLE_REASON in its environment.
	StopCommand string
	// ComposeGrace is how long containers get to stop on a spot notice
	// (EC2 gives two minutes in all).
	ComposeGrace time.Duration
}

// MinTimeout is the shortest idle stop mlforge.yaml accepts: booting and
// deploying a host must never look idle.
const MinTimeout = 10 * time.Minute

// MaxTimeout is the longest: a week.
const MaxTimeout = 7 * 24 * time.Hour

// ParseTimeout reads aws.idleStop: a duration such as 60m, 90m or 2h, or
// "off". It returns off=true for "off".
func ParseTimeout(s string) (d time.Duration, off bool, err error) {
	if s == "off" {
		return 0, true, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false, fmt.Errorf("%q is not a duration like 60m or 2h (or off to never stop)", s)
	}
	if d < MinTimeout || d > MaxTimeout {
		return 0, false, fmt.Errorf("%q is outside %s to %s (or off to never stop): a host must not stop while it boots and deploys", s, "10m", "168h")
	}
	return d, false, nil
}

var (
	projectRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	labelRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	counterRe = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// withDefaults fills in zero values.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, DefaultTimeout)
	def(&o.Interval, DefaultInterval)
	def(&o.StallLimit, DefaultStallLimit)
	def(&o.SpotPoll, DefaultSpotPoll)
	def(&o.ComposeGrace, DefaultComposeGrace)
	if o.CPUThreshold == 0 {
		o.CPUThreshold = DefaultThreshold
	}
	if o.GPUThreshold == 0 {
		o.GPUThreshold = DefaultThreshold
	}
	if o.JobLabel == "" {
		o.JobLabel = DefaultJobLabel
	}
	if len(o.SSHPorts) == 0 {
		o.SSHPorts = []int{22}
	}
	if o.IMDSURL == "" {
		o.IMDSURL = DefaultIMDS
	}
	if o.StopCommand == "" {
		o.StopCommand = DefaultStopCommand
	}
	return o
}

// Validate checks the options after defaults, naming the field at fault.
func (o Options) Validate() error {
	o = o.withDefaults()
	for _, check := range []func() error{o.validateDurations, o.validateNames, o.validateEndpoints} {
		if err := check(); err != nil {
			return fmt.Errorf("idle stop: %w", err)
		}
	}
	return nil
}

func (o Options) validateDurations() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Timeout", o.Timeout}, {"Interval", o.Interval}, {"StallLimit", o.StallLimit}, {"SpotPoll", o.SpotPoll}, {"ComposeGrace", o.ComposeGrace}} {
		if d.v < time.Second {
			return fmt.Errorf("%s %s is below one second", d.name, d.v)
		}
	}
	if o.CPUThreshold < 1 || o.CPUThreshold > 100 || o.GPUThreshold < 1 || o.GPUThreshold > 100 {
		return fmt.Errorf("CPU and GPU thresholds %d%% and %d%% must be 1-100", o.CPUThreshold, o.GPUThreshold)
	}
	return nil
}

func (o Options) validateNames() error {
	switch {
	case o.Project != "" && !projectRe.MatchString(o.Project):
		return fmt.Errorf("%q is not a compose project name", o.Project)
	case o.Spot && o.Project == "":
		return fmt.Errorf("Spot needs the compose Project to stop on an interruption notice")
	case !labelRe.MatchString(o.JobLabel):
		return fmt.Errorf("job label %q may hold only letters, digits, dots, dashes and underscores", o.JobLabel)
	case (o.ModelMetricsURL == "") != (o.ModelCounter == ""):
		return fmt.Errorf("set both ModelMetricsURL and ModelCounter, or neither")
	case o.ModelCounter != "" && !counterRe.MatchString(o.ModelCounter):
		return fmt.Errorf("%q is not a Prometheus metric name", o.ModelCounter)
	case strings.TrimSpace(o.StopCommand) == "" || strings.ContainsAny(o.StopCommand, "\n\r"):
		return fmt.Errorf("StopCommand must be one line")
	}
	return nil
}

func (o Options) validateEndpoints() error {
	for _, u := range []struct{ name, v string }{{"ModelMetricsURL", o.ModelMetricsURL}, {"IMDSURL", o.IMDSURL}} {
		if err := checkURL(u.name, u.v); err != nil {
			return err
		}
	}
	for _, p := range o.SSHPorts {
		if p < 1 || p > 65535 {
			return fmt.Errorf("SSH port %d is not 1-65535", p)
		}
	}
	return nil
}

func checkURL(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(v, " '\"\\`$") {
		return fmt.Errorf("%s %q is not an http URL", name, v)
	}
	return nil
}
