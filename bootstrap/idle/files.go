package idle

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

//go:embed idle.sh
var script string

// Where the agent lives on a host.
const (
	ScriptPath = "/usr/local/lib/mlforge/idle.sh"
	ConfPath   = "/etc/mlforge/idle.conf"
	StatePath  = "/var/lib/mlforge/idle.json"
	LogPath    = "/var/log/mlforge-idle.log" // hosts without systemd; others log to the journal
)

// File is a file the agent needs on the host.
type File struct {
	Path    string
	Mode    uint32
	Content string
}

// Script is the agent program (POSIX sh).
func Script() string { return script }

// Files returns the agent and its configuration for o. `sh ScriptPath
// install` then sets up the systemd units (or background loops).
func Files(o Options) ([]File, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return []File{{Path: ScriptPath, Mode: 0o755, Content: script}, {Path: ConfPath, Mode: 0o644, Content: Conf(o)}}, nil
}

// Conf renders o as the agent's configuration: sh assignments of
// validated values, single-quoted.
func Conf(o Options) string {
	o = o.withDefaults()
	ports := make([]string, len(o.SSHPorts))
	for i, p := range o.SSHPorts {
		ports[i] = strconv.Itoa(p)
	}
	off := "0"
	if o.Off {
		off = "1"
	}
	spot := "0"
	if o.Spot {
		spot = "1"
	}
	var b strings.Builder
	b.WriteString("# mlforge idle stop, written by mlforge (README: Cost guard). Durations in seconds.\n")
	for _, kv := range [][2]string{
		{"IDLE_OFF", off}, {"IDLE_TIMEOUT", secs(o.Timeout)}, {"IDLE_INTERVAL", secs(o.Interval)},
		{"STALL_LIMIT", secs(o.StallLimit)}, {"CPU_THRESHOLD", strconv.Itoa(o.CPUThreshold)},
		{"GPU_THRESHOLD", strconv.Itoa(o.GPUThreshold)}, {"PROJECT", o.Project}, {"JOB_LABEL", o.JobLabel},
		{"MODEL_METRICS_URL", o.ModelMetricsURL}, {"MODEL_COUNTER", o.ModelCounter}, {"SSH_PORTS", strings.Join(ports, " ")},
		{"SPOT", spot}, {"SPOT_POLL", secs(o.SpotPoll)}, {"IMDS_URL", o.IMDSURL}, {"STOP_COMMAND", o.StopCommand},
		{"COMPOSE_GRACE", secs(o.ComposeGrace)},
	} {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], quote(kv[1]))
	}
	return b.String()
}

// secs rounds a duration up to whole seconds.
func secs(d time.Duration) string { return strconv.Itoa(int(math.Ceil(d.Seconds()))) }

// quote single-quotes s for sh.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
