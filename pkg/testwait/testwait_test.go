package testwait_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinjobs/clinjobs/pkg/testwait"
)

func TestForAsksUntilTrue(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	if !testwait.For(time.Second, func() bool { return n.Add(1) == 3 }) {
		t.Fatal("gave up on a condition that came true")
	}
	if n.Load() != 3 {
		t.Fatalf("asked %d times, want 3", n.Load())
	}
	if testwait.For(3*testwait.Every, func() bool { return false }) {
		t.Fatal("a condition never true reported true")
	}
}
