package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := summarize(d)
	if s.n != 100 || s.p50 != 50*time.Millisecond || s.p95 != 95*time.Millisecond || s.p99 != 99*time.Millisecond || s.max != 100*time.Millisecond {
		t.Errorf("summary of 1..100 ms = %+v", s)
	}
	if got := summarize(nil); got.n != 0 || got.max != 0 {
		t.Errorf("summary of nothing = %+v", got)
	}
	if got := quantile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("p99 of one = %v", got)
	}
}

func TestEventStreamPairsEitherOrder(t *testing.T) {
	s := &eventStream{pending: map[string]post{}, early: map[string]time.Time{}}
	t0 := time.Now()
	msec := time.Millisecond
	s.answered("1", post{t0, t0.Add(10 * msec)})
	s.event("1", t0.Add(13*msec))
	s.event("2", t0.Add(12*msec)) // before its answer
	s.answered("2", post{t0, t0.Add(15 * msec)})
	s.answered("3", post{t0, t0}) // never gets an event
	r := s.results()
	if !slices.Equal(r.afterAnswer, []time.Duration{3 * msec, 0}) || !slices.Equal(r.endToEnd, []time.Duration{13 * msec, 12 * msec}) || r.early != 1 {
		t.Errorf("results %+v", r)
	}
	if len(s.pending) != 1 {
		t.Errorf("pending = %v, want message 3 only", s.pending)
	}
}

func TestPrintTable(t *testing.T) {
	var b strings.Builder
	printTable(&b, []string{"", "n"}, [][]string{{"POST", "12"}, {"event", "3"}})
	want := "|       |  n |\n|-------|---:|\n| POST  | 12 |\n| event |  3 |\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%v) = %q, want %q", n, got, want)
		}
	}
}
