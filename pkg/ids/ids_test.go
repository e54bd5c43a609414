package ids_test

import (
	"testing"

	"github.com/clinjobs/clinjobs/pkg/ids"
)

func TestIDs(t *testing.T) {
	t.Parallel()
	a, b := ids.New("c"), ids.New("c")
	if a == b || !ids.Valid("c", a) || !ids.Valid("c", b) {
		t.Errorf("New gave %q and %q", a, b)
	}
	d1, d2 := ids.Derived("v", "RJ1", "REF-1"), ids.Derived("v", "RJ1", "REF-1")
	if d1 != d2 || !ids.Valid("v", d1) {
		t.Errorf("Derived gave %q and %q", d1, d2)
	}
	// The parts are kept apart: ("RJ1R", "EF") is not ("RJ1", "REF").
	if ids.Derived("v", "RJ1R", "EF-1") == d1 {
		t.Error("Derived joins parts ambiguously")
	}
	for _, bad := range []string{"", "c", "v" + a[1:], a + "a", "cABCDEFGHIJKLMNOPQRST", "c0123456789012345678"} {
		if ids.Valid("c", bad) {
			t.Errorf("Valid(%q)", bad)
		}
	}
}
