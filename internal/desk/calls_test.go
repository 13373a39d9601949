package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

type callFixture struct {
	st     *store.Store
	desk   *desk.Desk
	phone  *phonetest.Phone
	ch     *domain.Channel
	team   *domain.Team
	events *recorder
	agent  *domain.Agent
	now    int64
}

func newCallFixture(t *testing.T, st *store.Store) *callFixture {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &callFixture{st: st, phone: &phonetest.Phone{}, team: &domain.Team{Name: "Support"}, events: &recorder{},
		now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMilli()}
	if err := st.CreateTeam(ctx, f.team); err != nil {
		t.Fatal(err)
	}
	f.ch = &domain.Channel{Kind: "phone", Name: "Switchboard", TeamID: f.team.ID, Enabled: true, Settings: json.RawMessage("{}")}
	if err := st.CreateChannel(ctx, f.ch, "phone-token"); err != nil {
		t.Fatal(err)
	}
	f.agent = &domain.Agent{Email: "anna@example.nl", Name: "Anna", Role: domain.RoleAgent, Phone: "201"}
	if err := st.CreateAgent(ctx, f.agent, "x"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAgentTeams(ctx, f.agent.ID, []int64{f.team.ID}); err != nil {
		t.Fatal(err)
	}
	f.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New(), f.phone), Events: f.events,
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() int64 { return f.now }})
	t.Cleanup(f.desk.Close)
	return f
}

// post hands the telephone system's events to the core as one payload.
func (f *callFixture) post(t *testing.T, evs ...channel.CallEvent) {
	t.Helper()
	body := phonetest.Payload(evs...)
	if _, err := f.desk.Ingest(context.Background(), f.ch, "application/json", body); err != nil {
		t.Fatalf("ingest %s: %v", body, err)
	}
}

func (f *callFixture) call(t *testing.T, id string) *domain.Call {
	t.Helper()
	c, err := f.st.Call(context.Background(), f.ch.ID, id)
	if err != nil {
		t.Fatalf("call %s: %v", id, err)
	}
	return c
}

func (f *callFixture) ticket(t *testing.T, id int64) *domain.Ticket {
	t.Helper()
	tk, err := f.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *callFixture) at(d time.Duration) time.Time {
	return time.UnixMilli(f.now).Add(d)
}

func TestCalls_AnAnsweredCallIsOneEntryThatGoesToTheAgentWhoTookIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newCallFixture(t, st)
		known := domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"}
		r, err := f.desk.Receive(context.Background(), &channel.Inbound{ChannelID: f.ch.ID, ExternalID: "sms-1", From: known, Text: "Bel me even"})
		if err != nil {
			t.Fatal(err)
		}
		in := channel.CallEvent{CallID: "c1", Direction: domain.DirectionIn, Customer: "+31612345678", Line: "+31201234567"}
		ring, answer, hangup := in, in, in
		ring.State, ring.Agents, ring.At = domain.CallRinging, []string{"201"}, f.at(0)
		answer.State, answer.Agents, answer.At = domain.CallAnswered, []string{"anna@example.nl"}, f.at(8*time.Second)
		hangup.State, hangup.Cause, hangup.At, hangup.WrapUp = domain.CallEnded, domain.CauseNormal, f.at(4*time.Minute+8*time.Second), time.Minute
		f.post(t, ring)
		c := f.call(t, "c1")
		if c.State != domain.CallRinging || !slices.Equal(c.Ringing, []int64{f.agent.ID}) || c.ContactID != r.Contact.ID || c.TicketID != r.Ticket.ID {
			t.Fatalf("ringing call %+v: want it on the caller's ticket %d ringing agent %d", c, r.Ticket.ID, f.agent.ID)
		}
		var popped *domain.Event
		for _, ev := range f.events.events {
			if ev.Type == domain.EventCallUpdated {
				popped = &ev
			}
		}
		if popped == nil || !slices.Contains(popped.To, f.agent.ID) || popped.Call.ContactID != r.Contact.ID {
			t.Fatalf("call event %+v: want it addressed to the ringing agent", popped)
		}
		f.post(t, answer, answer, hangup)
		f.post(t, ring) // late and repeated events change nothing
		c = f.call(t, "c1")
		if c.State != domain.CallEnded || c.AgentID != f.agent.ID || c.Seconds() != 240 || c.Missed || c.Cause != domain.CauseNormal {
			t.Fatalf("ended call %+v: want answered by Anna, 4:00 long", c)
		}
		if want := c.EndedAt + time.Minute.Milliseconds(); c.BusyUntil != want {
			t.Errorf("busy until %d, want the end plus a minute of wrap-up (%d)", c.BusyUntil, want)
		}
		msgs, err := st.Messages(context.Background(), r.Ticket.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var entries []string
		for _, m := range msgs {
			if m.Kind == domain.KindCall {
				entries = append(entries, m.Text)
			}
		}
		if !slices.Equal(entries, []string{"Call from +31612345678, 4:00"}) {
			t.Errorf("call entries %q: want one, with its duration", entries)
		}
		tk := f.ticket(t, r.Ticket.ID)
		if tk.AssigneeID != f.agent.ID || tk.FirstResponseAt != c.AnsweredAt || tk.Status != domain.StatusOpen {
			t.Errorf("ticket %+v: want it assigned to Anna with the answer as first response", tk)
		}
		busy, err := f.desk.BusyAgents(context.Background())
		if err != nil || len(busy) != 1 || busy[0].AgentID != f.agent.ID || busy[0].Until != c.BusyUntil {
			t.Errorf("busy agents %+v (%v): want Anna until the wrap-up ends", busy, err)
		}
		facts, err := st.CallFacts(context.Background(), store.ReportFilter{From: f.now, To: f.now + 1, TeamID: f.team.ID, AgentID: f.agent.ID})
		if err != nil || len(facts) != 1 || facts[0].AnsweredAt-facts[0].StartedAt != 8000 || facts[0].EndedAt-facts[0].AnsweredAt != 240_000 {
			t.Errorf("call facts %+v (%v): want the call, 8 s ringing and 4 min talking", facts, err)
		}
	})
}

func TestCalls_AMissedCallWaitsInTheQueueForACallback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newCallFixture(t, st)
		ring := channel.CallEvent{CallID: "m1", Direction: domain.DirectionIn, Customer: "+31201112233", State: domain.CallRinging, At: f.at(0)}
		f.post(t, ring)
		c := f.call(t, "m1")
		if tk := f.ticket(t, c.TicketID); tk.Status != domain.StatusPending {
			t.Fatalf("ticket of a ringing call is %s, want pending (out of the queue while it rings)", tk.Status)
		}
		hangup := ring
		hangup.State, hangup.Cause, hangup.At = domain.CallEnded, domain.CauseNoAnswer, f.at(30*time.Second)
		hangup.VoicemailURL = "https://pbx.example/vm/m1.wav"
		f.post(t, hangup)
		c = f.call(t, "m1")
		if !c.Missed || c.VoicemailURL == "" || c.Summary() != "Missed call from +31201112233" {
			t.Fatalf("call %+v: want a missed call with its voicemail", c)
		}
		tk := f.ticket(t, c.TicketID)
		if tk.Status != domain.StatusOpen || tk.AssigneeID != 0 || tk.TeamID != f.team.ID || tk.LastCustomerAt != c.StartedAt {
			t.Errorf("ticket %+v: want it open and unassigned in the team's queue, the customer waiting since the call", tk)
		}
		routable := false
		st.RoutableTickets(context.Background(), func(rt store.RoutableTicket) error {
			routable = routable || rt.ID == tk.ID
			return nil
		})
		if !routable {
			t.Error("the missed call's ticket is not in the routing queue")
		}
		waiting, err := st.Calls(context.Background(), store.CallFilter{Missed: true})
		if err != nil || len(waiting) != 1 || waiting[0].TicketNumber != tk.Number {
			t.Fatalf("missed calls to call back %+v (%v)", waiting, err)
		}
		if _, err := f.desk.Dial(context.Background(), tk.ID, f.agent, 0, "+31201112233"); err != nil {
			t.Fatal(err)
		}
		if c := f.call(t, "m1"); c.CalledBackAt == 0 {
			t.Errorf("missed call %+v: want it marked called back", c)
		}
		if waiting, _ := st.Calls(context.Background(), store.CallFilter{Missed: true}); len(waiting) != 0 {
			t.Errorf("missed calls to call back after the call: %+v", waiting)
		}
	})
}

func TestCalls_AnAnonymousCallerGetsAContactOfTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newCallFixture(t, st)
		f.post(t, channel.CallEvent{CallID: "a1", Direction: domain.DirectionIn, State: domain.CallRinging},
			channel.CallEvent{CallID: "a2", Direction: domain.DirectionIn, State: domain.CallRinging})
		a1, a2 := f.call(t, "a1"), f.call(t, "a2")
		if a1.ContactID == a2.ContactID || a1.Customer != "" {
			t.Fatalf("anonymous calls %+v and %+v share a contact", a1, a2)
		}
		if got := a1.Summary(); got != "Incoming call from an anonymous caller" {
			t.Errorf("summary %q", got)
		}
	})
}

func TestCalls_ClickToCallFromAnEmailTicketIsLoggedOnIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newCallFixture(t, st)
		mail := &domain.Channel{Kind: api.Kind, Name: "Mail", TeamID: f.team.ID, Enabled: true, Settings: json.RawMessage("{}")}
		if err := st.CreateChannel(context.Background(), mail, "mail-token"); err != nil {
			t.Fatal(err)
		}
		r, err := f.desk.Receive(context.Background(), &channel.Inbound{ChannelID: mail.ID, ExternalID: "mail-1",
			From: domain.Identity{Kind: domain.IdentityEmail, Value: "jan@example.nl"}, Text: "Kunt u mij bellen? 06 1234 5678"})
		if err != nil {
			t.Fatal(err)
		}
		nophone := &domain.Agent{ID: 99, Name: "Bob"}
		if _, err := f.desk.Dial(context.Background(), r.Ticket.ID, nophone, 0, "0612345678"); !invalid(err) {
			t.Errorf("dialing without a phone: %v, want a clear refusal", err)
		}
		c, err := f.desk.Dial(context.Background(), r.Ticket.ID, f.agent, 0, "06 1234 5678")
		if err != nil {
			t.Fatal(err)
		}
		if d := f.phone.Dialed(); len(d) != 1 || d[0].AgentPhone != "201" || d[0].Customer != "+31612345678" {
			t.Fatalf("dial requests %+v", f.phone.Dialed())
		}
		if c.State != domain.CallDialing || c.TicketID != r.Ticket.ID {
			t.Fatalf("call %+v: want it dialing on the e-mail ticket", c)
		}
		// The PBX reports the agent's phone starting the call: it is tied
		// to the click and keeps the PBX's id.
		out := channel.CallEvent{CallID: "pbx-77", Direction: domain.DirectionOut, Line: "201", Customer: "", State: domain.CallRinging, At: f.at(5 * time.Second)}
		f.post(t, out)
		got := f.call(t, "pbx-77")
		if got.MessageID != c.MessageID || got.Customer != "+31612345678" || got.State != domain.CallRinging {
			t.Fatalf("call %+v: want the dialed call, ringing", got)
		}
		out.State, out.At = domain.CallAnswered, f.at(10*time.Second)
		f.post(t, out)
		out.State, out.At = domain.CallEnded, f.at(70*time.Second)
		f.post(t, out)
		got = f.call(t, "pbx-77")
		if got.Seconds() != 60 || got.AgentID != f.agent.ID || got.TicketID != r.Ticket.ID {
			t.Errorf("call %+v: want a minute on the e-mail ticket by Anna", got)
		}
		if tk := f.ticket(t, r.Ticket.ID); tk.FirstResponseAt == 0 {
			t.Error("the answered call did not count as the team's response")
		}
	})
}

func TestCalls_ACallbackRequestIsAnsweredByCallingFromTheTicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newCallFixture(t, st)
		req, err := f.desk.RequestCallback(context.Background(), f.ch.ID, channel.CallbackRequest{
			Number: "0612345678", Name: "Jan", At: f.at(time.Hour), Note: "About my invoice"})
		if err != nil {
			t.Fatal(err)
		}
		tk := f.ticket(t, req.TicketID)
		if req.State != domain.CallRequested || tk.LastCustomerAt == 0 || tk.Status != domain.StatusNew || tk.TeamID != f.team.ID {
			t.Fatalf("request %+v on ticket %+v: want it waiting in the team's queue", req, tk)
		}
		if _, err := f.desk.RequestCallback(context.Background(), f.ch.ID, channel.CallbackRequest{Number: "not a number"}); !invalid(err) {
			t.Errorf("a request without a number: %v", err)
		}
		f.phone.CallID = "twilio-CA1"
		c, err := f.desk.Dial(context.Background(), req.TicketID, f.agent, f.ch.ID, "+31612345678")
		if err != nil || c.CallID != "twilio-CA1" {
			t.Fatalf("dial: %+v, %v: want the system's call id", c, err)
		}
		done, err := st.CallOfMessage(context.Background(), req.MessageID)
		if err != nil || done.State != domain.CallEnded || done.Cause != domain.CauseCalledBack {
			t.Errorf("request after the call: %+v, %v: want it called back", done, err)
		}
		f.phone.Fail = errors.New("trunk down")
		if _, err := f.desk.Dial(context.Background(), req.TicketID, f.agent, f.ch.ID, "+31612345678"); !invalid(err) {
			t.Errorf("a refused dial: %v, want a clear error", err)
		}
		calls, err := st.Calls(context.Background(), store.CallFilter{TicketID: req.TicketID})
		if err != nil || len(calls) != 3 || calls[0].Cause != domain.CauseFailed {
			t.Errorf("calls on the ticket %+v (%v): want the failed dial logged as failed", calls, err)
		}
	})
}

// invalid reports whether err is a rule violation the user can fix.
func invalid(err error) bool {
	var e *domain.Error
	return errors.As(err, &e)
}
