// Package testwait is how the project's tests wait for a condition they cannot
// be told about: a row in another database session's lock table, a readiness
// probe, a counter another goroutine advances. Until checks the condition
// again each time a short ticker fires and stops as soon as it holds; the
// deadline bounds a test that would otherwise hang and is never what makes it
// pass. Where the code under test can signal (a channel, a written line), wait
// on that instead.
package testwait

import (
	"testing"
	"time"
)

// Deadline is how long Until waits before it fails the test: long enough for
// a loaded 2-core machine, so that it only ever catches a condition that never
// comes.
const Deadline = 2 * time.Minute

// Until returns as soon as cond reports true, and fails t naming what was
// awaited if it has not after Deadline.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if cond() {
		return
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(Deadline)
	defer deadline.Stop()
	for {
		select {
		case <-tick.C:
			if cond() {
				return
			}
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", Deadline, what)
		}
	}
}
