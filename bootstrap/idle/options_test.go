package idle

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		off  bool
		err  string
	}{
		{"60m", time.Hour, false, ""},
		{"2h", 2 * time.Hour, false, ""},
		{"1h30m", 90 * time.Minute, false, ""},
		{"10m", 10 * time.Minute, false, ""},
		{"168h", 168 * time.Hour, false, ""},
		{"off", 0, true, ""},
		{"5m", 0, false, `"5m" is outside 10m to 168h (or off to never stop)`},
		{"200h", 0, false, "outside 10m to 168h"},
		{"soon", 0, false, `"soon" is not a duration like 60m or 2h (or off to never stop)`},
		{"-1h", 0, false, "is not a duration"},
		{"", 0, false, "is not a duration"},
		{"OFF", 0, false, "is not a duration"},
	} {
		d, off, err := ParseTimeout(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %v, want an error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || d != tc.want || off != tc.off {
			t.Errorf("%q: got %v %v %v, want %v %v", tc.in, d, off, err, tc.want, tc.off)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Options{Project: "taxi", ModelMetricsURL: "http://127.0.0.1:9696/metrics", ModelCounter: "taxi_requests_total", Spot: true}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero options (all defaults): %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"timeout", func(o *Options) { o.Timeout = time.Millisecond }, "Timeout 1ms is below one second"},
		{"stall", func(o *Options) { o.StallLimit = -time.Second }, "StallLimit -1s"},
		{"cpu", func(o *Options) { o.CPUThreshold = 101 }, "thresholds 101% and 10% must be 1-100"},
		{"gpu", func(o *Options) { o.GPUThreshold = -5 }, "must be 1-100"},
		{"project", func(o *Options) { o.Project = "Taxi Project" }, `"Taxi Project" is not a compose project name`},
		{"spot without project", func(o *Options) { o.Project = "" }, "Spot needs the compose Project"},
		{"label", func(o *Options) { o.JobLabel = "job label" }, `job label "job label"`},
		{"counter alone", func(o *Options) { o.ModelMetricsURL = "" }, "set both ModelMetricsURL and ModelCounter"},
		{"counter name", func(o *Options) { o.ModelCounter = "taxi-requests" }, `"taxi-requests" is not a Prometheus metric name`},
		{"metrics url", func(o *Options) { o.ModelMetricsURL = "ftp://host/metrics" }, "ModelMetricsURL"},
		{"quote in url", func(o *Options) { o.IMDSURL = "http://x/'$(reboot)'" }, "IMDSURL"},
		{"port", func(o *Options) { o.SSHPorts = []int{22, 70000} }, "SSH port 70000"},
		{"stop command", func(o *Options) { o.StopCommand = "poweroff\nreboot" }, "StopCommand must be one line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mod(&o)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
