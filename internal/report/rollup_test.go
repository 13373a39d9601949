package report_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/report"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// TestVolume_HourlyRollupGivesTheFiguresOfCountingEveryMessage compares
// the volume report, which reads whole hours from the rollup, with the
// same figures computed from every ticket and message, for periods on and
// off whole hours, in zones on whole and half hours, with each filter:
// before and after the deltas are folded, and after a ticket with
// messages moved to another team.
func TestVolume_HourlyRollupGivesTheFiguresOfCountingEveryMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ids := newWorld(t, st)
		other := &domain.Team{Name: "Sales"}
		if err := st.CreateTeam(ctx, other); err != nil {
			t.Fatal(err)
		}
		queries := []string{
			"",
			"interval=week",
			"from=2026-03-18&to=2026-03-30&tz=UTC",
			"from=2026-03-23T16:45:00Z&to=2026-03-29T03:20:00%2B02:00",
			"from=2026-03-29&to=2026-03-30&tz=Asia/Kolkata",
			"from=2026-03-23&to=2026-03-30&tz=Asia/Kathmandu",
			fmt.Sprintf("team_id=%d", w.team),
			fmt.Sprintf("team_id=%d", other.ID),
			fmt.Sprintf("channel_id=%d", w.ch),
			fmt.Sprintf("agent_id=%d", w.a2),
			"tag=vip",
		}
		compare := func(stage string) {
			t.Helper()
			for _, extra := range queries {
				q := week(t, extra)
				if extra != "" && extra[0] == 'f' {
					q = query(t, extra)
				}
				got, err := w.reports.Volume(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range []struct {
					q   report.Query
					got *report.Volume
				}{{q, got.Current}, {q.Previous(), got.Previous}} {
					counts, err := st.VolumeCounts(ctx, p.q.ReportFilter)
					if err != nil {
						t.Fatal(err)
					}
					if want := report.ComputeVolume(counts, p.q); asJSON(p.got) != asJSON(want) {
						t.Errorf("%s, %q from %d:\n got %s\nwant %s", stage, extra, p.q.From, asJSON(p.got), asJSON(want))
					}
				}
			}
		}
		compare("deltas not folded")
		if _, err := st.FoldReportHours(ctx); err != nil {
			t.Fatal(err)
		}
		compare("deltas folded")
		w.change(t, at(30, 9, 0), ids[2], desk.TicketChange{TeamID: &other.ID})
		compare("ticket moved, not folded")
		if n, err := st.FoldReportHours(ctx); err != nil || n == 0 {
			t.Fatalf("folded %d deltas after the move (%v), want some", n, err)
		}
		compare("ticket moved, folded")
		if n, err := st.FoldReportHours(ctx); err != nil || n != 0 {
			t.Fatalf("a second fold folded %d deltas (%v), want none", n, err)
		}
	})
}

// query parses a report query with extra's own period, as of 30 March.
func query(t *testing.T, extra string) report.Query {
	t.Helper()
	v, _ := url.ParseQuery(extra)
	q, err := report.ParseQuery(v, at(30, 12, 0))
	if err != nil {
		t.Fatal(err)
	}
	return q
}
