package idle

import (
	"encoding/json"
	"fmt"
	"time"
)

// State is what the agent last saw, as it keeps it in StatePath for
// mlforge (read it over SSH: cat /var/lib/mlforge/idle.json).
type State struct {
	Version int `json:"version"`
	// Enabled is false when the idle stop is off.
	Enabled           bool      `json:"enabled"`
	TimeoutSeconds    int       `json:"timeoutSeconds"`
	IntervalSeconds   int       `json:"intervalSeconds"`
	StallLimitSeconds int       `json:"stallLimitSeconds"`
	CheckedAt         time.Time `json:"checkedAt"`
	LastActivity      time.Time `json:"lastActivity"`
	// Reason is the last activity seen ("ssh: 1 connection(s); job
	// taxi-train-run-1f2e"), "boot" after a start.
	Reason      string `json:"reason"`
	Active      bool   `json:"active"`
	IdleSeconds int    `json:"idleSeconds"`
	// StopInSeconds is nil when the idle stop is off.
	StopInSeconds *int   `json:"stopInSeconds"`
	Stopping      bool   `json:"stopping"`
	StalledJobs   string `json:"stalledJobs"`
	CPUPercent    *int   `json:"cpuPercent"`
	GPUPercent    *int   `json:"gpuPercent"`
	// ModelRequests is the model server's request counter, when watched.
	ModelRequests *int64 `json:"modelRequests"`
	SpotNotice    string `json:"spotNotice"`
}

// ParseState reads the agent's state file.
func ParseState(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("reading the idle stop's state (%s): %w", StatePath, err)
	}
	if s.Version != 1 {
		return s, fmt.Errorf("reading the idle stop's state (%s): version %d, want 1", StatePath, s.Version)
	}
	return s, nil
}

// StopsAt is when the instance stops if nothing happens, as of the
// agent's last check; ok is false when the idle stop is off.
func (s State) StopsAt() (time.Time, bool) {
	if s.StopInSeconds == nil {
		return time.Time{}, false
	}
	return s.CheckedAt.Add(time.Duration(*s.StopInSeconds) * time.Second), true
}
