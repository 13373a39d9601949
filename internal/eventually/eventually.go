// Package eventually lets tests wait on a condition instead of a clock: it
// polls until the condition holds, and gives up only after a minute, so
// that a loaded machine makes a test slower, never wrong.
package eventually

import (
	"testing"
	"time"
)

// True polls cond every few milliseconds until it holds, failing t with
// what it waited for after a minute.
func True(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
