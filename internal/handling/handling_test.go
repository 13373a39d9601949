package handling_test

import (
	"context"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/handling"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestTracker_TurnsFramesIntoSpans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := &domain.Contact{Name: "Jan"}
		if err := st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
		t0 := time.UnixMilli(1_800_000_000_000)
		var tickets []int64
		for range 3 {
			tk := &domain.Ticket{ContactID: c.ID, Subject: "s", Status: domain.StatusOpen, Priority: domain.PriorityNormal, CreatedAt: t0.UnixMilli()}
			if err := st.CreateTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, tk.ID)
		}
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		tr := handling.New(st, nil)
		// Ticket 0: open 50 s, then left; agent 2 looks for 20 s too.
		tr.Seen(1, tickets[0], at(0))
		tr.Seen(1, tickets[0], at(20))
		tr.Seen(1, tickets[0], at(40))
		tr.Left(1, tickets[0], at(50))
		tr.Seen(2, tickets[0], at(10))
		tr.Seen(2, tickets[0], at(30))
		// Ticket 1: frames stop after 40 s; the span ends at the last one,
		// and opening it again later is a new span of 20 s.
		tr.Seen(1, tickets[1], at(0))
		tr.Seen(1, tickets[1], at(40))
		tr.Seen(1, tickets[1], at(400))
		tr.Seen(1, tickets[1], at(420))
		// Ticket 2: one frame and gone: nothing to count.
		tr.Seen(1, tickets[2], at(0))
		if err := tr.Flush(ctx, at(1000), false); err != nil {
			t.Fatal(err)
		}
		got, err := st.HandlingTimes(ctx, store.ReportFilter{From: t0.UnixMilli(), To: at(3600).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]int64{tickets[0]: 70_000, tickets[1]: 60_000}
		if len(got) != len(want) || got[tickets[0]] != want[tickets[0]] || got[tickets[1]] != want[tickets[1]] {
			t.Errorf("handling %v, want %v", got, want)
		}
		// A span still open is stored when the tracker ends.
		tr.Seen(3, tickets[2], at(2000))
		tr.Seen(3, tickets[2], at(2015))
		if err := tr.Flush(ctx, at(2016), true); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.HandlingTimes(ctx, store.ReportFilter{From: t0.UnixMilli(), To: at(3600).UnixMilli()}); got[tickets[2]] != 15_000 {
			t.Errorf("after the last flush: %v", got)
		}
	})
}
