package report_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"loket.dev/loket/internal/report"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestToday_CountsTheLocalDaySoFar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, _ := newWorld(t, st)
		for _, c := range []struct {
			name   string
			extra  string
			now    time.Time
			volume report.Counts
			solved int
			first  report.Stats
			sla    [3]int // met, breached, pending
		}{
			// Sunday 29 (DST): T2 at 01:30, answered an hour later, solved.
			{"T2's day", "", at(29, 23, 0).UTC(), report.Counts{Tickets: 1, MessagesIn: 2, MessagesOut: 2}, 1,
				report.Stats{Count: 1, MedianMs: hour, P90Ms: hour, MeanMs: hour}, [3]int{1, 0, 0}},
			// Wednesday 25: T3 breached its first response.
			{"T3's day", "", at(25, 18, 0).UTC(), report.Counts{Tickets: 1, MessagesIn: 1, MessagesOut: 1}, 0,
				report.Stats{Count: 1, MedianMs: 90 * minute, P90Ms: 90 * minute, MeanMs: 90 * minute}, [3]int{0, 1, 0}},
			{"another team", fmt.Sprintf("team_id=%d", w.team+100), at(25, 18, 0).UTC(), report.Counts{}, 0, report.Stats{}, [3]int{}},
			{"a quiet Saturday", "", at(28, 12, 0).UTC(), report.Counts{}, 0, report.Stats{}, [3]int{}},
		} {
			q := week(t, c.extra)
			got, err := w.reports.Today(context.Background(), q, c.now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Volume != c.volume || got.Solved != c.solved || got.FirstResponse != c.first ||
				[3]int{got.SLA.Met, got.SLA.Breached, got.SLA.Pending} != c.sla {
				t.Errorf("%s: %s", c.name, asJSON(got))
			}
			if y, m, d := got.From.Date(); got.From.Hour() != 0 || d != c.now.In(amsterdam).Day() || m != 3 || y != 2026 {
				t.Errorf("%s: the day starts %v", c.name, got.From)
			}
		}
	})
}
