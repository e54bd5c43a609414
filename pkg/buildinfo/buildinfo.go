// Package buildinfo tells which build of the system is running, for logs, the
// NATS services framework and the dashboard.
package buildinfo

import "runtime/debug"

// Version is set at link time (-X github.com/clinjobs/clinjobs/pkg/buildinfo.Version=...)
// by the image build. Default: the VCS revision Go recorded, or "dev".
var Version = ""

// String returns the version of this build.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return "dev"
}
