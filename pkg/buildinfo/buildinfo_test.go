package buildinfo_test

import (
	"regexp"
	"testing"

	"github.com/clinjobs/clinjobs/pkg/buildinfo"
)

// The NATS services framework refuses a version that is not a SemVer.
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

func TestStringIsSemVer(t *testing.T) {
	old := buildinfo.Revision
	t.Cleanup(func() { buildinfo.Revision = old })
	for _, rev := range []string{"", "a0bd778", "a0bd778-dirty", "weird/rev.1"} {
		buildinfo.Revision = rev
		if v := buildinfo.String(); !semver.MatchString(v) {
			t.Errorf("revision %q gives version %q, not a SemVer", rev, v)
		}
	}
}
