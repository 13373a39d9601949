package desk_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() int64 { return c.ms.Load() }

func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// Monday 2 March 2026, 09:00 in Amsterdam.
var monday9 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))

func slaFixture(t *testing.T, st *store.Store) (*fixture, *clock) {
	t.Helper()
	f := newFixture(t, st, "", nil)
	f.desk.Close()
	clk := &clock{}
	clk.ms.Store(monday9.UnixMilli())
	blobs, _ := blob.NewDir(t.TempDir())
	f.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Events: f.events,
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.now})
	t.Cleanup(f.desk.Close)
	return f, clk
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func TestSLA_DefaultTargetsFollowTheConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f, clk := slaFixture(t, st)
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		// API channels fall under the e-mail-like default: 8 h first response, 5 days resolution.
		if r.Ticket.SLAPolicy != "default (e-mail)" || r.Ticket.FirstResponseDue != ms(monday9.Add(8*time.Hour)) ||
			r.Ticket.ResolutionDue != ms(monday9.Add(5*24*time.Hour)) || r.Ticket.NextResponseDue != 0 {
			t.Fatalf("new ticket SLA %+v", r.Ticket.SLA)
		}
		clk.advance(time.Hour)
		if _, err := f.desk.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "looking", AuthorID: 1}); err != nil {
			t.Fatal(err)
		}
		tk, _ := st.Ticket(ctx, r.Ticket.ID)
		if tk.FirstResponseDue != 0 || tk.NextResponseDue != 0 || tk.SLADue != tk.ResolutionDue {
			t.Fatalf("after the reply: %+v", tk.SLA)
		}
		clk.advance(time.Hour)
		f.receive(t, channel.Inbound{ExternalID: "2", From: email(t, "jan@example.nl"), Text: "and?"})
		tk, _ = st.Ticket(ctx, r.Ticket.ID)
		if tk.NextResponseDue != ms(monday9.Add(10*time.Hour)) || tk.SLADue != tk.NextResponseDue {
			t.Fatalf("after the customer wrote again: %+v", tk.SLA)
		}
	})
}

func TestSLA_PendingPausesTheResolutionClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f, clk := slaFixture(t, st)
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		due := r.Ticket.ResolutionDue
		pending, open := domain.StatusPending, domain.StatusOpen
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &pending}); err != nil {
			t.Fatal(err)
		}
		tk, _ := st.Ticket(ctx, r.Ticket.ID)
		if tk.SLADue != 0 || tk.ResolutionDue != 0 {
			t.Fatalf("pending ticket still has a running clock: %+v", tk.SLA)
		}
		clk.advance(3 * time.Hour)
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &open}); err != nil {
			t.Fatal(err)
		}
		tk, _ = st.Ticket(ctx, r.Ticket.ID)
		if tk.ResolutionDue != due+ms(time.Unix(3*3600, 0)) {
			t.Fatalf("resolution due %v, want pushed back 3 h from %v", msTime(tk.ResolutionDue), msTime(due))
		}
	})
}

func msTime(v int64) time.Time { return time.UnixMilli(v).UTC() }

func TestSLA_ConfiguredPolicyWithBusinessHoursWarnsThenBreaches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f, clk := slaFixture(t, st)
		cal := &store.Calendar{Name: "Office", Config: sla.CalendarConfig{TimeZone: "Europe/Amsterdam",
			Hours: map[string][]sla.Range{"mon": {{Start: "09:00", End: "17:00"}}, "tue": {{Start: "09:00", End: "17:00"}}}}}
		if err := st.SaveCalendar(ctx, cal); err != nil {
			t.Fatal(err)
		}
		vip := &sla.Policy{Name: "VIP", Enabled: true, WarnPercent: 50, CalendarID: cal.ID,
			Conditions: sla.Conditions{Tags: []string{"vip"}},
			Targets:    map[string]sla.Targets{"normal": {FirstResponse: 60, Resolution: 10 * 60}}}
		if err := st.SavePolicy(ctx, vip); err != nil {
			t.Fatal(err)
		}
		f.desk.InvalidateSLA()
		clk.advance(7*time.Hour + 30*time.Minute) // 16:30, half an hour before closing
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		tags := []string{"vip"}
		tk, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Tags: &tags})
		if err != nil {
			t.Fatal(err)
		}
		// 30 business minutes on Monday, 30 more from 09:00 on Tuesday.
		wantDue := monday9.Add(24*time.Hour + 30*time.Minute)
		if tk.SLAPolicy != "VIP" || tk.FirstResponseDue != ms(wantDue) {
			t.Fatalf("VIP first response due %v (%s), want %v", msTime(tk.FirstResponseDue), tk.SLAPolicy, wantDue.UTC())
		}
		if n, _ := f.desk.CheckSLA(ctx, 100); n != 0 {
			t.Fatalf("checked %d tickets before anything was due", n)
		}
		clk.ms.Store(ms(monday9.Add(8 * time.Hour))) // 17:00: half the target used
		if _, err := f.desk.CheckSLA(ctx, 100); err != nil {
			t.Fatal(err)
		}
		clk.ms.Store(ms(wantDue.Add(time.Minute)))
		if _, err := f.desk.CheckSLA(ctx, 100); err != nil {
			t.Fatal(err)
		}
		types := f.events.types()
		var warned, breached int
		for _, ty := range types {
			switch ty {
			case domain.EventSLAWarning:
				warned++
			case domain.EventSLABreached:
				breached++
			}
		}
		if warned != 1 || breached != 1 {
			t.Fatalf("events %v: want one warning and one breach", types)
		}
		page, _ := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Breached: true})
		if len(page.Tickets) != 1 {
			t.Fatalf("breached filter found %d tickets", len(page.Tickets))
		}
		msgs, _ := st.Messages(ctx, r.Ticket.ID, 0, 0)
		if last := msgs[len(msgs)-1]; last.Kind != domain.KindEvent || last.AuthorType != domain.AuthorSystem {
			t.Fatalf("breach not on the timeline: %+v", last)
		}
		// The agent answers: first response no longer runs; the breach stays in the timeline.
		if _, err := f.desk.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "sorry", AuthorID: 1}); err != nil {
			t.Fatal(err)
		}
		tk, _ = st.Ticket(ctx, r.Ticket.ID)
		if tk.SLABreached || tk.FirstResponseDue != 0 {
			t.Fatalf("after answering: %+v", tk.SLA)
		}
		sorted, _ := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, SortDue: true})
		if len(sorted.Tickets) != 1 || sorted.Tickets[0].SLADue != tk.ResolutionDue {
			t.Fatalf("due-first list: %+v", sorted.Tickets)
		}
	})
}
