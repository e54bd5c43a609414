// Package testwait waits in tests for a condition to come true: it asks
// again and again, briefly apart, and fails the test at a deadline. Tests
// wait for what they expect rather than sleep for a guess at how long it
// takes. Production code never imports it.
package testwait

import (
	"testing"
	"time"
)

// Every is how often a condition is asked again.
const Every = 10 * time.Millisecond

// Until returns once cond is true, and fails t if it is not within within;
// what names the wait in the failure.
func Until(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !For(within, cond) {
		t.Fatalf("gave up after %s waiting for %s", within, what)
	}
}

// For reports whether cond came true within within, for a caller that
// counts what did not arrive instead of failing.
func For(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(Every)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
