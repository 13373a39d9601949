package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/report"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Amsterdam in March 2026 (DST starts on Sunday
// the 29th at 02:00, which becomes 03:00).
func at(day, hour, minute int) time.Time {
	return time.Date(2026, time.March, day, hour, minute, 0, 0, amsterdam)
}

// world is the hand-computed fixture: one channel under an office-hours
// SLA policy (Mon–Fri 09:00–17:00 Amsterdam, first response 1 business
// hour, resolution 8), two agents, and tickets made through the desk with
// a test clock.
type world struct {
	st       *store.Store
	desk     *desk.Desk
	clock    atomic.Int64
	ch, team int64
	a1, a2   int64
	seq      int
	reports  *report.Reports
}

func (w *world) set(t time.Time) { w.clock.Store(t.UnixMilli()) }

// ticket opens a ticket from a new contact at t.
func (w *world) ticket(t *testing.T, when time.Time) int64 {
	t.Helper()
	w.seq++
	return w.inbound(t, when, fmt.Sprintf("c%d@example.nl", w.seq))
}

func (w *world) inbound(t *testing.T, when time.Time, from string) int64 {
	t.Helper()
	w.set(when)
	id, err := domain.NewIdentity(domain.IdentityEmail, from, "NL")
	if err != nil {
		t.Fatal(err)
	}
	w.seq++
	r, err := w.desk.Receive(context.Background(), &channel.Inbound{ChannelID: w.ch, ExternalID: fmt.Sprint(w.seq), From: id, Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	return r.Ticket.ID
}

func (w *world) reply(t *testing.T, when time.Time, ticket, agent int64) {
	t.Helper()
	w.set(when)
	if _, err := w.desk.Send(context.Background(), &desk.Outgoing{TicketID: ticket, Text: "answer", AuthorType: domain.AuthorAgent, AuthorID: agent}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) change(t *testing.T, when time.Time, ticket int64, ch desk.TicketChange) {
	t.Helper()
	w.set(when)
	if _, err := w.desk.UpdateTicket(context.Background(), ticket, 0, ch); err != nil {
		t.Fatal(err)
	}
}

func (w *world) solve(t *testing.T, when time.Time, ticket int64) {
	s := domain.StatusSolved
	w.change(t, when, ticket, desk.TicketChange{Status: &s})
}

func (w *world) assign(t *testing.T, when time.Time, ticket, agent int64) {
	w.change(t, when, ticket, desk.TicketChange{AssigneeID: &agent})
}

func (w *world) rate(t *testing.T, ticket int64, score int) {
	t.Helper()
	if _, err := w.desk.RateTicket(context.Background(), ticket, score, ""); err != nil {
		t.Fatal(err)
	}
}

// The tickets of the fixture, in the week of Monday 23 March (and T0 in
// the week before):
//
//	T0 Wed 18 10:00, A1 replies 10:10, solved 10:20.
//	T1 Mon 23 16:30, A1 replies Tue 09:30, solved 10:00, CSAT 5.
//	T2 Sun 29 01:30 CET, A2 replies 03:30 CEST (one hour later), solved
//	   03:45, the customer writes again at 04:00, A2 replies 04:10, solved
//	   04:20, CSAT 2.
//	T3 Wed 25 10:00, first response breached at 11:01, A1 replies 11:30.
//	T4 Thu 26 12:00, solved by the bot at 12:05.
//	T5 Fri 27 14:00 tagged vip, the bot hands over, A2 replies 14:20,
//	   solved 15:00, CSAT 4.
func newWorld(t *testing.T, st *store.Store) (*world, [6]int64) {
	t.Helper()
	ctx := context.Background()
	w := &world{st: st}
	team := &domain.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	ch := &domain.Channel{Kind: api.Kind, Name: "Shop", TeamID: team.ID, Enabled: true, Settings: []byte("{}")}
	if err := st.CreateChannel(ctx, ch, "token-hash"); err != nil {
		t.Fatal(err)
	}
	w.ch, w.team = ch.ID, team.ID
	for i, id := range []*int64{&w.a1, &w.a2} {
		a := &domain.Agent{Email: fmt.Sprintf("a%d@example.nl", i+1), Name: fmt.Sprintf("A%d", i+1), Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
		*id = a.ID
	}
	office := &store.Calendar{Name: "Office", Config: sla.CalendarConfig{TimeZone: "Europe/Amsterdam", Hours: map[string][]sla.Range{
		"mon": {{Start: "09:00", End: "17:00"}}, "tue": {{Start: "09:00", End: "17:00"}}, "wed": {{Start: "09:00", End: "17:00"}},
		"thu": {{Start: "09:00", End: "17:00"}}, "fri": {{Start: "09:00", End: "17:00"}}}}}
	if err := st.SaveCalendar(ctx, office); err != nil {
		t.Fatal(err)
	}
	if err := st.SavePolicy(ctx, &sla.Policy{Name: "Office", Enabled: true, CalendarID: office.ID, WarnPercent: 80,
		Conditions: sla.Conditions{ChannelIDs: []int64{ch.ID}},
		Targets:    map[string]sla.Targets{"normal": {FirstResponse: 60, Resolution: 8 * 60}}}); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()),
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: w.clock.Load})
	t.Cleanup(w.desk.Close)
	w.reports = &report.Reports{Store: st, Hours: w.desk.Hours()}

	var ids [6]int64
	ids[0] = w.ticket(t, at(18, 10, 0))
	w.assign(t, at(18, 10, 0), ids[0], w.a1)
	w.reply(t, at(18, 10, 10), ids[0], w.a1)
	w.solve(t, at(18, 10, 20), ids[0])

	ids[1] = w.ticket(t, at(23, 16, 30))
	w.assign(t, at(23, 16, 30), ids[1], w.a1)
	w.reply(t, at(24, 9, 30), ids[1], w.a1)
	w.solve(t, at(24, 10, 0), ids[1])
	w.rate(t, ids[1], 5)

	ids[2] = w.inbound(t, at(29, 1, 30), "dst@example.nl")
	w.assign(t, at(29, 1, 30), ids[2], w.a2)
	w.reply(t, at(29, 3, 30), ids[2], w.a2)
	w.solve(t, at(29, 3, 45), ids[2])
	if again := w.inbound(t, at(29, 4, 0), "dst@example.nl"); again != ids[2] {
		t.Fatalf("the customer's second message opened ticket %d, not %d", again, ids[2])
	}
	w.reply(t, at(29, 4, 10), ids[2], w.a2)
	w.solve(t, at(29, 4, 20), ids[2])
	w.rate(t, ids[2], 2)

	ids[3] = w.ticket(t, at(25, 10, 0))
	w.assign(t, at(25, 10, 0), ids[3], w.a1)
	w.set(at(25, 11, 1))
	if _, err := w.desk.CheckSLA(ctx, 100); err != nil {
		t.Fatal(err)
	}
	w.reply(t, at(25, 11, 30), ids[3], w.a1)

	ids[4] = w.ticket(t, at(26, 12, 0))
	resolved := domain.BotResolved
	w.change(t, at(26, 12, 5), ids[4], desk.TicketChange{BotState: &resolved})
	w.solve(t, at(26, 12, 5), ids[4])

	ids[5] = w.ticket(t, at(27, 14, 0))
	handed, tags := domain.BotHandedOver, []string{"vip"}
	w.change(t, at(27, 14, 0), ids[5], desk.TicketChange{BotState: &handed, Tags: &tags, AssigneeID: &w.a2})
	w.reply(t, at(27, 14, 20), ids[5], w.a2)
	w.solve(t, at(27, 15, 0), ids[5])
	w.rate(t, ids[5], 4)
	return w, ids
}

// week is the query for Monday 23 to Sunday 29 March in Amsterdam.
func week(t *testing.T, extra string) report.Query {
	t.Helper()
	v, _ := url.ParseQuery("from=2026-03-23&to=2026-03-29&tz=Europe/Amsterdam&" + extra)
	q, err := report.ParseQuery(v, at(30, 12, 0))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

const (
	minute = int64(60 * 1000)
	hour   = 60 * minute
)

func TestReports_HandComputedWeekAcrossDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ids := newWorld(t, st)

		sp, err := w.reports.Speed(ctx, week(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		// First responses: T1 17 h (1 business hour), T2 1 h (0: Sunday),
		// T3 1.5 h (1.5), T5 20 min (20 min).
		// Next responses: T2's second answer, 10 min after the customer
		// wrote again (0 in business hours: Sunday).
		// Resolutions: T1 17.5 h (1.5 business hours), T2 1 h 50 (0), T4 5 min (5 min),
		// T5 1 h (1 h).
		wantTotal := report.SpeedGroup{
			FirstResponse:         report.Stats{Count: 4, MedianMs: hour, P90Ms: 17 * hour, MeanMs: (17*hour + hour + 90*minute + 20*minute) / 4},
			FirstResponseBusiness: report.Stats{Count: 4, MedianMs: 20 * minute, P90Ms: 90 * minute, MeanMs: (hour + 90*minute + 20*minute) / 4},
			NextResponse:          report.Stats{Count: 1, MedianMs: 10 * minute, P90Ms: 10 * minute, MeanMs: 10 * minute},
			NextResponseBusiness:  report.Stats{Count: 1},
			Resolution:            report.Stats{Count: 4, MedianMs: hour, P90Ms: 17*hour + 30*minute, MeanMs: (17*hour + 30*minute + 110*minute + 5*minute + hour) / 4},
			ResolutionBusiness:    report.Stats{Count: 4, MedianMs: 5 * minute, P90Ms: 90 * minute, MeanMs: (90*minute + 5*minute + hour) / 4},
		}
		if !reflect.DeepEqual(sp.Current.Total, wantTotal) {
			t.Errorf("speed total\n got %+v\nwant %+v", sp.Current.Total, wantTotal)
		}
		agents := map[int64]int{}
		for _, g := range sp.Current.ByAgent {
			agents[g.ID] = g.FirstResponse.Count
		}
		if want := map[int64]int{0: 0, w.a1: 2, w.a2: 2}; !reflect.DeepEqual(agents, want) {
			t.Errorf("first responses by agent %v, want %v", agents, want)
		}
		if p := sp.Previous.Total.FirstResponse; p.Count != 1 || p.MedianMs != 10*minute {
			t.Errorf("previous week's first responses %+v, want T0's 10 minutes", p)
		}

		sl, err := w.reports.SLA(ctx, week(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		got := sl.Current.Total
		if got.Met != 4 || got.Breached != 1 || got.Pending != 0 || *got.AttainmentPct != 80 || got.FirstResponseBreached != 1 {
			t.Errorf("SLA total %+v, want 4 met, 1 breached (first response), 80%%", got)
		}
		if len(sl.Current.ByPolicy) != 1 || sl.Current.ByPolicy[0].Policy != "Office" || len(sl.Current.BreachedTickets) != 1 ||
			sl.Current.BreachedTickets[0].ID != ids[3] || !reflect.DeepEqual(sl.Current.BreachedTickets[0].Targets, []string{"first_response"}) {
			t.Errorf("SLA by policy %+v, breached %+v; want Office and T3", sl.Current.ByPolicy, sl.Current.BreachedTickets)
		}

		oc, err := w.reports.Outcome(ctx, week(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		o := oc.Current.Total
		avg := 3.67
		wantO := report.OutcomeGroup{Tickets: 5, Solved: 4, OneTouch: 2, OneTouchPct: ptr(50), Reopened: 1, ReopenPct: ptr(25),
			BotHandled: 2, BotResolved: 1, BotHandedOver: 1, BotResolutionPct: ptr(50), BotHandOffPct: ptr(50),
			CSATCount: 3, CSATAverage: &avg, CSATDistribution: [5]int{0, 1, 0, 1, 1}}
		if asJSON(o) != asJSON(wantO) {
			t.Errorf("outcome\n got %s\nwant %s", asJSON(o), asJSON(wantO))
		}

		vol, err := w.reports.Volume(ctx, week(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		v := vol.Current
		if v.Total != (report.Counts{Tickets: 5, MessagesIn: 6, MessagesOut: 5}) {
			t.Errorf("volume total %+v, want 5 tickets, 6 in, 5 out", v.Total)
		}
		cell := func(wd, h int) report.Counts { return v.Heatmap[(wd-1)*24+h].Counts }
		for _, c := range []struct {
			wd, h int
			want  report.Counts
		}{
			{7, 1, report.Counts{Tickets: 1, MessagesIn: 1}}, // 01:30 CET
			{7, 2, report.Counts{}},                          // skipped by DST
			{7, 3, report.Counts{MessagesOut: 1}},            // 03:30 CEST, an hour after 01:30 CET
			{7, 4, report.Counts{MessagesIn: 1, MessagesOut: 1}},
			{1, 16, report.Counts{Tickets: 1, MessagesIn: 1}},
			{2, 9, report.Counts{MessagesOut: 1}},
		} {
			if got := cell(c.wd, c.h); got != c.want {
				t.Errorf("heat map weekday %d hour %d: %+v, want %+v", c.wd, c.h, got, c.want)
			}
		}
		var days []string
		var perDay []int64
		for _, p := range v.Series {
			days, perDay = append(days, p.Start), append(perDay, p.Tickets)
		}
		if want := []int64{1, 0, 1, 1, 1, 0, 1}; !reflect.DeepEqual(perDay, want) || days[0] != "2026-03-23" || days[6] != "2026-03-29" {
			t.Errorf("series %v %v, want Monday 23 to Sunday 29 with %v", days, perDay, want)
		}
		if s := v.Series[0].Channels; len(s) != 1 || *s[0].TicketSharePct != 100 {
			t.Errorf("channel shares on Monday %+v", s)
		}
	})
}

func TestReports_Filters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, _ := newWorld(t, st)
		for _, c := range []struct {
			filter  string
			tickets int
		}{
			{"", 5},
			{fmt.Sprintf("agent_id=%d", w.a1), 2},
			{fmt.Sprintf("agent_id=%d", w.a2), 2},
			{"tag=vip", 1},
			{"tag=VIP", 1},
			{fmt.Sprintf("team_id=%d", w.team), 5},
			{fmt.Sprintf("team_id=%d", w.team+100), 0},
			{fmt.Sprintf("channel_id=%d", w.ch), 5},
			{fmt.Sprintf("channel_id=%d", w.ch+100), 0},
		} {
			oc, err := w.reports.Outcome(ctx, week(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			vol, err := w.reports.Volume(ctx, week(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			if oc.Current.Total.Tickets != c.tickets || vol.Current.Total.Tickets != int64(c.tickets) {
				t.Errorf("%q: %d tickets (volume %d), want %d", c.filter, oc.Current.Total.Tickets, vol.Current.Total.Tickets, c.tickets)
			}
		}
	})
}

func ptr(v float64) *float64 { return &v }

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestReports_ReopenByAnAgentCountsAndClosingDoesNot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, ids := newWorld(t, st)
		open, closed := domain.StatusOpen, domain.StatusClosed
		w.change(t, at(30, 9, 0), ids[1], desk.TicketChange{Status: &open})
		w.solve(t, at(30, 9, 5), ids[1])
		w.change(t, at(30, 9, 10), ids[1], desk.TicketChange{Status: &closed})
		oc, err := w.reports.Outcome(context.Background(), week(t, ""))
		if err != nil {
			t.Fatal(err)
		}
		if o := oc.Current.Total; o.Reopened != 2 || *o.ReopenPct != 50 || o.OneTouch != 1 || o.Solved != 4 {
			t.Fatalf("after T1 was reopened and closed: %s; want 2 of 4 reopened, T5 the one touch left", asJSON(o))
		}
	})
}
