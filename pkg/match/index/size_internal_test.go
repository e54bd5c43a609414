package index

import (
	"testing"
	"unsafe"
)

// TestCandSize guards the layout: a candidate's record is one cache line.
func TestCandSize(t *testing.T) {
	if n := unsafe.Sizeof(cand{}); n != 64 {
		t.Fatalf("cand is %d bytes, want 64", n)
	}
}
