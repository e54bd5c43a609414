// Package buildinfo tells which build of the system is running, for logs, the
// NATS services framework (which wants a SemVer) and the dashboard.
package buildinfo

import (
	"regexp"
	"runtime/debug"
)

// Version is the release, a SemVer. The image build sets it at link time
// (-X github.com/clinjobs/clinjobs/pkg/buildinfo.Version=...). Default: 0.1.0.
var Version = "0.1.0"

// Revision is the VCS revision, set at link time by the image build.
// Default: the revision Go recorded, if any.
var Revision = ""

var buildMeta = regexp.MustCompile(`[^0-9A-Za-z-]`)

// String returns the version with the revision as SemVer build metadata,
// such as 0.1.0+a0bd778.
func String() string {
	rev := Revision
	if rev == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 7 {
					rev = s.Value[:7]
				}
			}
		}
	}
	if rev == "" {
		return Version
	}
	return Version + "+" + buildMeta.ReplaceAllString(rev, "-")
}
