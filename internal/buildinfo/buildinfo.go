// Package buildinfo holds the version stamped into the binary at build time:
//
//	go build -ldflags "-X github.com/mlforge/mlforge/internal/buildinfo.Version=v0.1.0 \
//	  -X github.com/mlforge/mlforge/internal/buildinfo.Commit=$(git rev-parse HEAD)"
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags -X at build time.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build information, falling back to the VCS stamp that
// `go build` embeds when no -X flags were given.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info.Commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Commit = s.Value
				case "vcs.time":
					if info.Date == "" {
						info.Date = s.Value
					}
				}
			}
			if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				info.Version = bi.Main.Version
			}
		}
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	return info
}
