package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/frontdesk"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// deskFixture is a desk with a front desk channel numbering A001, A002...
// per day in Amsterdam, a settable clock, a known customer and an agent.
type deskFixture struct {
	st    *store.Store
	desk  *desk.Desk
	clk   *clock
	ch    *domain.Channel
	jan   *domain.Contact
	agent *domain.Agent
}

func newDeskFixture(t *testing.T, st *store.Store) *deskFixture {
	t.Helper()
	ctx := context.Background()
	f := &deskFixture{st: st, clk: &clock{}}
	f.clk.ms.Store(monday9.UnixMilli())
	team := &domain.Team{Name: "Office"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	f.ch = &domain.Channel{Kind: frontdesk.Kind, Name: "Utrecht office", TeamID: team.ID, Enabled: true,
		Settings: json.RawMessage(`{"prefix":"A","timezone":"Europe/Amsterdam"}`)}
	if err := st.CreateChannel(ctx, f.ch, fmt.Sprint("desk-token-", time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	f.jan = &domain.Contact{Name: "Jan de Vries"}
	if err := st.CreateContact(ctx, f.jan); err != nil {
		t.Fatal(err)
	}
	for _, id := range []domain.Identity{phone(t, "+31612345678"), email(t, "jan@example.nl")} {
		if _, err := st.AddIdentity(ctx, f.jan.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	f.agent = &domain.Agent{Email: "anna@example.nl", Name: "Anna", Role: domain.RoleAgent}
	if err := st.CreateAgent(ctx, f.agent, "x"); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(frontdesk.New(frontdesk.Config{Store: st})),
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clk.now})
	t.Cleanup(f.desk.Close)
	return f
}

func (f *deskFixture) checkIn(t *testing.T, c desk.CheckIn) *store.Visit {
	t.Helper()
	c.ChannelID = f.ch.ID
	v, err := f.desk.CheckInVisitor(context.Background(), c)
	if err != nil {
		t.Fatalf("check in %+v: %v", c, err)
	}
	return v
}

// errorCode is the machine-readable code of a user error, or "".
func errorCode(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

// visitEntry returns the decoded meta of a visit's timeline entry.
func visitEntry(t *testing.T, st *store.Store, v *store.Visit) (*domain.Message, map[string]any) {
	t.Helper()
	m, err := st.Message(context.Background(), v.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	if err := json.Unmarshal(m.Meta, &meta); err != nil {
		t.Fatalf("visit entry meta %s: %v", m.Meta, err)
	}
	return m, meta
}

func TestCheckInVisitor_RecognisesByCustomerNumberPhoneEmailOrOnlyAName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		ctx := context.Background()
		jan, err := st.Contact(ctx, f.jan.ID)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			in      desk.CheckIn
			janWant bool   // recognised as Jan
			newName string // otherwise a new contact with this name
			code    string // or refused with this code
		}{
			{name: "customer number", in: desk.CheckIn{CustomerNumber: jan.Number, Topic: "invoice"}, janWant: true},
			{name: "phone in national format", in: desk.CheckIn{Phone: "06 1234 5678"}, janWant: true},
			{name: "e-mail in capitals", in: desk.CheckIn{Email: " JAN@Example.NL "}, janWant: true},
			{name: "anonymous with a name", in: desk.CheckIn{Name: "Piet"}, newName: "Piet"},
			{name: "unknown phone makes a contact", in: desk.CheckIn{Phone: "+31687654321", Name: "Kees"}, newName: "Kees"},
			{name: "nothing", in: desk.CheckIn{Topic: "hello"}, code: "unknown_visitor"},
			{name: "unknown customer number", in: desk.CheckIn{CustomerNumber: "no-such-customer"}, code: "unknown_customer"},
			{name: "bad phone", in: desk.CheckIn{Phone: "12"}, code: "invalid_phone"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.in.ChannelID = f.ch.ID
				v, err := f.desk.CheckInVisitor(ctx, tt.in)
				if tt.code != "" {
					if errorCode(err) != tt.code {
						t.Fatalf("error %v, want code %s", err, tt.code)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				c, err := st.Contact(ctx, v.ContactID)
				if err != nil {
					t.Fatal(err)
				}
				if tt.janWant != (c.ID == f.jan.ID) || (!tt.janWant && c.Name != tt.newName) {
					t.Fatalf("visit of contact %d %q, want Jan (%d): %v, or new %q", c.ID, c.Name, f.jan.ID, tt.janWant, tt.newName)
				}
				m, meta := visitEntry(t, st, v)
				tk, err := st.Ticket(ctx, v.TicketID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind != domain.KindVisit || m.Direction != domain.DirectionIn || m.TicketID != v.TicketID ||
					tk.ChannelID != f.ch.ID || tk.ContactID != c.ID || tk.LastCustomerAt == 0 {
					t.Fatalf("visit entry %+v on ticket %+v", m, tk)
				}
				if meta["number"] != v.Label || meta["status"] != store.VisitWaiting || meta["topic"] != tt.in.Topic {
					t.Fatalf("visit entry meta %v", meta)
				}
			})
		}
	})
}

func TestCheckInVisitor_NumbersCountPerDayInTheChannelsTimeZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		var got []string
		for range 3 {
			got = append(got, f.checkIn(t, desk.CheckIn{Name: "Visitor"}).Label)
		}
		// 23:30 in Amsterdam is still Monday; half past midnight is Tuesday.
		f.clk.ms.Store(time.Date(2026, 3, 2, 23, 30, 0, 0, time.FixedZone("CET", 3600)).UnixMilli())
		got = append(got, f.checkIn(t, desk.CheckIn{Name: "Late"}).Label)
		f.clk.advance(time.Hour)
		got = append(got, f.checkIn(t, desk.CheckIn{Name: "Early"}).Label)
		want := []string{"A001", "A002", "A003", "A004", "A001"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("numbers %v, want %v", got, want)
		}
	})
}

func TestCheckInVisitor_ConcurrentCheckInsGetDistinctNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		const n = 8
		labels := make([]string, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				v, err := f.desk.CheckInVisitor(context.Background(), desk.CheckIn{ChannelID: f.ch.ID, Name: fmt.Sprint("Visitor ", i)})
				if err != nil {
					errs <- err
					return
				}
				labels[i] = v.Label
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range labels {
			if seen[l] {
				t.Fatalf("number %s handed out twice: %v", l, labels)
			}
			seen[l] = true
		}
	})
}

func TestCheckInVisitor_AddsTheVisitToAnOpenTicketOfTheVisitorOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		ctx := context.Background()
		first := f.checkIn(t, desk.CheckIn{Phone: "+31612345678"})
		tk, err := st.Ticket(ctx, first.TicketID)
		if err != nil {
			t.Fatal(err)
		}
		again := f.checkIn(t, desk.CheckIn{Email: "jan@example.nl", TicketNumber: tk.Number})
		if again.TicketID != first.TicketID {
			t.Fatalf("second visit on ticket %d, want the picked ticket %d", again.TicketID, first.TicketID)
		}
		other := f.checkIn(t, desk.CheckIn{Phone: "+31612345678"})
		if other.TicketID == first.TicketID {
			t.Fatal("a visit without a picked ticket joined an existing one; it must open a new ticket")
		}
		_, err = f.desk.CheckInVisitor(ctx, desk.CheckIn{ChannelID: f.ch.ID, Name: "Piet", TicketNumber: tk.Number})
		if errorCode(err) != "unknown_ticket" {
			t.Fatalf("another visitor's ticket: %v, want unknown_ticket", err)
		}
		_, err = f.desk.CheckInVisitor(ctx, desk.CheckIn{ChannelID: 999999, Name: "Piet"})
		if errorCode(err) != "unknown_channel" {
			t.Fatalf("unknown channel: %v, want unknown_channel", err)
		}
	})
}

func TestCallNextVisitor_ConcurrentCallsGetDifferentVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		const n = 6
		for i := range n {
			f.checkIn(t, desk.CheckIn{Name: fmt.Sprint("Visitor ", i)})
			f.clk.advance(time.Second)
		}
		called := make([]*store.Visit, n+2)
		errs := make(chan error, n+2)
		var wg sync.WaitGroup
		for i := range called {
			wg.Go(func() {
				v, err := f.desk.CallNextVisitor(context.Background(), f.ch.ID, f.agent.ID, fmt.Sprint("Desk ", i))
				if err != nil {
					errs <- err
				}
				called[i] = v
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		nobody := 0
		for _, v := range called {
			if v == nil {
				nobody++
				continue
			}
			if seen[v.ID] {
				t.Fatalf("visitor %s was called twice", v.Label)
			}
			seen[v.ID] = true
		}
		if len(seen) != n || nobody != 2 {
			t.Fatalf("%d visitors called and %d calls found nobody; want %d and 2", len(seen), nobody, n)
		}
	})
}

func TestFinishVisit_RecordsWaitedAndServedTimesAndNotesOnTheTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		ctx := context.Background()
		first := f.checkIn(t, desk.CheckIn{CustomerNumber: mustNumber(t, st, f.jan.ID), Topic: "moving house"})
		second := f.checkIn(t, desk.CheckIn{Name: "Piet"})
		if _, err := f.desk.FinishVisit(ctx, first.ID, f.agent.ID, false, ""); errorCode(err) != "visit_not_serving" {
			t.Fatalf("finishing a waiting visit: %v, want visit_not_serving", err)
		}

		f.clk.advance(4 * time.Minute)
		v, err := f.desk.CallNextVisitor(ctx, f.ch.ID, f.agent.ID, "Desk 2")
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != first.ID || v.Status != store.VisitServing || v.Counter != "Desk 2" {
			t.Fatalf("called %+v, want the first visitor at Desk 2", v)
		}
		tk, _ := st.Ticket(ctx, v.TicketID)
		if tk.AssigneeID != f.agent.ID {
			t.Fatalf("ticket assigned to %d, want the calling agent %d", tk.AssigneeID, f.agent.ID)
		}
		if _, meta := visitEntry(t, st, v); meta["status"] != store.VisitServing || meta["counter"] != "Desk 2" || meta["waited_ms"] != float64(4*60000) {
			t.Fatalf("visit entry after the call: %v", meta)
		}
		if got := latestEvent(t, st, v.TicketID, desk.EventVisitCalled); got["agent"] != "Anna" || got["counter"] != "Desk 2" {
			t.Fatalf("timeline after the call: %v", got)
		}

		f.clk.advance(6 * time.Minute)
		done, err := f.desk.FinishVisit(ctx, v.ID, f.agent.ID, false, "  new address recorded ")
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != store.VisitDone || done.Notes != "new address recorded" {
			t.Fatalf("finished %+v", done)
		}
		_, meta := visitEntry(t, st, done)
		if meta["status"] != store.VisitDone || meta["waited_ms"] != float64(4*60000) || meta["served_ms"] != float64(6*60000) ||
			meta["notes"] != "new address recorded" || meta["number"] != "A001" {
			t.Fatalf("visit entry when done: %v", meta)
		}
		if got := lastEventMeta(t, st, v.TicketID); got["event"] != desk.EventVisitDone || got["served_ms"] != float64(6*60000) {
			t.Fatalf("timeline when done: %v", got)
		}
		if _, err := f.desk.FinishVisit(ctx, v.ID, f.agent.ID, false, ""); errorCode(err) != "visit_not_serving" {
			t.Fatalf("finishing twice: %v, want visit_not_serving", err)
		}

		called, err := f.desk.CallNextVisitor(ctx, f.ch.ID, f.agent.ID, "Desk 2")
		if err != nil || called.ID != second.ID {
			t.Fatalf("second call: %+v, %v", called, err)
		}
		gone, err := f.desk.FinishVisit(ctx, called.ID, f.agent.ID, true, "")
		if err != nil || gone.Status != store.VisitNoShow {
			t.Fatalf("no-show: %+v, %v", gone, err)
		}
		if got := lastEventMeta(t, st, called.TicketID); got["event"] != desk.EventVisitNoShow {
			t.Fatalf("timeline after a no-show: %v", got)
		}
		if _, err := f.desk.CallNextVisitor(ctx, f.ch.ID, f.agent.ID, " "); errorCode(err) != "invalid_counter" {
			t.Fatalf("calling without a counter: %v, want invalid_counter", err)
		}
	})
}

// latestEvent returns the meta of the newest timeline event named name.
func latestEvent(t *testing.T, st *store.Store, ticketID int64, name string) map[string]any {
	t.Helper()
	msgs, err := st.Messages(context.Background(), ticketID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		var m map[string]any
		if msgs[i].Kind == domain.KindEvent && json.Unmarshal(msgs[i].Meta, &m) == nil && m["event"] == name {
			return m
		}
	}
	t.Fatalf("no %s event on the timeline of ticket %d", name, ticketID)
	return nil
}

func mustNumber(t *testing.T, st *store.Store, contactID int64) string {
	t.Helper()
	c, err := st.Contact(context.Background(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Number
}

func TestExpectedWait_IsTheMeanServiceTimeOfTheVisitorsAheadPerCounter(t *testing.T) {
	minutes := func(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }
	tests := []struct {
		name     string
		times    []int64 // ms, the recent visits' service times
		waiting  int
		counters int
		service  time.Duration
		wait     time.Duration
	}{
		{"no history falls back to seven minutes", nil, 1, 1, minutes(7), minutes(7)},
		{"nobody waiting means no wait", []int64{60000}, 0, 2, minutes(1), 0},
		{"mean of the recent visits", []int64{4 * 60000, 6 * 60000}, 3, 1, minutes(5), minutes(15)},
		{"shared among the counters serving", []int64{4 * 60000, 6 * 60000}, 3, 2, minutes(5), minutes(7.5)},
		{"no counter serving counts as one", []int64{3 * 60000}, 2, 0, minutes(3), minutes(6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			service := desk.MeanService(tt.times)
			if service != tt.service {
				t.Fatalf("service %v, want %v", service, tt.service)
			}
			if got := desk.ExpectedWait(service, tt.waiting, tt.counters); got != tt.wait {
				t.Fatalf("wait %v, want %v", got, tt.wait)
			}
		})
	}
}

func TestQueueOfVisitors_LearnsTheServiceTimeFromServedVisits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newDeskFixture(t, st)
		ctx := context.Background()
		q, err := f.desk.QueueOfVisitors(ctx, f.ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if q.Service != desk.DefaultVisitService || q.ExpectedWait != 0 || len(q.Waiting)+len(q.Serving) != 0 {
			t.Fatalf("empty queue %+v", q)
		}
		for _, served := range []time.Duration{4 * time.Minute, 6 * time.Minute} {
			f.checkIn(t, desk.CheckIn{Name: "Served"})
			v, err := f.desk.CallNextVisitor(ctx, f.ch.ID, f.agent.ID, "Desk 1")
			if err != nil {
				t.Fatal(err)
			}
			f.clk.advance(served)
			if _, err := f.desk.FinishVisit(ctx, v.ID, f.agent.ID, false, ""); err != nil {
				t.Fatal(err)
			}
		}
		for range 4 {
			f.checkIn(t, desk.CheckIn{Name: "Waiting"})
		}
		if _, err := f.desk.CallNextVisitor(ctx, f.ch.ID, f.agent.ID, "Desk 1"); err != nil {
			t.Fatal(err)
		}
		if q, err = f.desk.QueueOfVisitors(ctx, f.ch.ID); err != nil {
			t.Fatal(err)
		}
		if q.Service != 5*time.Minute || len(q.Waiting) != 3 || len(q.Serving) != 1 || q.ExpectedWait != 15*time.Minute {
			t.Fatalf("queue: service %v, %d waiting, %d serving, wait %v; want 5m, 3, 1, 15m", q.Service, len(q.Waiting), len(q.Serving), q.ExpectedWait)
		}
	})
}
