package voice

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// voiceEnv is a running Loket with the voice adapter (and the API channel
// kind, for tickets that came in writing), a clock the tests move, and
// a fake Twilio.
type voiceEnv struct {
	*channeltest.Env
	now    atomic.Int64
	twilio *fakeTwilio
}

// start is 2026-12-08 09:00:00 UTC.
const start = int64(1796720400000)

func startVoice(t testing.TB, st *store.Store, opts channeltest.Options) *voiceEnv {
	t.Helper()
	v := &voiceEnv{twilio: newFakeTwilio(t)}
	v.now.Store(start)
	var base atomic.Value
	base.Store("")
	opts.Now = v.now.Load
	v.Env = channeltest.Start(t, st, opts, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{New(Config{Region: "NL", BaseURL: func() string { return base.Load().(string) }}), api.New()}
	})
	base.Store(v.URL)
	return v
}

// tick moves the desk's clock on.
func (v *voiceEnv) tick(seconds int64) { v.now.Add(seconds * 1000) }

// ctiChannel creates a CTI voice channel with extra settings (a JSON
// object's members, or "").
func (v *voiceEnv) ctiChannel(extra string) channeltest.Channel {
	v.T.Helper()
	if extra != "" {
		extra = "," + extra
	}
	return v.CreateChannel(Kind, fmt.Sprintf(`{"provider":"cti","number":"+31201234567","token":%q%s}`, testCTIToken, extra))
}

// pbx posts a CTI event as the telephone system does and returns the
// status and the answer.
func (v *voiceEnv) pbx(ch channeltest.Channel, token, contentType, body string) (int, string) {
	v.T.Helper()
	status, b := v.Post(Kind, ch.ID, "cti/"+token, contentType, []byte(body), nil)
	return status, strings.TrimSpace(string(b))
}

// event posts a CTI event as JSON with the right token and wants 200.
func (v *voiceEnv) event(ch channeltest.Channel, body string) string {
	v.T.Helper()
	status, answer := v.pbx(ch, testCTIToken, contentTypeJSON, body)
	if status != http.StatusOK {
		v.T.Fatalf("CTI event %s answered %d %s", body, status, answer)
	}
	return answer
}

// agent adds an online agent with a phone to a team.
func (v *voiceEnv) agent(name, phone string, team int64) *domain.Agent {
	v.T.Helper()
	ctx := context.Background()
	a := &domain.Agent{Email: strings.ToLower(strings.Fields(name)[0]) + "@loket.example", Name: name, Role: domain.RoleAgent, Phone: phone}
	if err := v.Store.CreateAgent(ctx, a, ""); err != nil {
		v.T.Fatal(err)
	}
	if err := v.Store.SetAgentTeams(ctx, a.ID, []int64{team}); err != nil {
		v.T.Fatal(err)
	}
	if _, err := v.Store.SetPresence(ctx, a.ID, domain.PresenceOnline, false, v.now.Load()); err != nil {
		v.T.Fatal(err)
	}
	return a
}

// writtenTicket opens a ticket from a customer who wrote from the address
// (the JSON of an API channel message's "from"), as an e-mail would, and
// returns it.
func (v *voiceEnv) writtenTicket(from string) channeltest.Ticket {
	v.T.Helper()
	var ch struct {
		ID    int64  `json:"id"`
		Token string `json:"inbound_token"`
	}
	v.Do("POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"api","name":"Mail","team_id":%d,"settings":{"secret":"0123456789abcdef0123"}}`, v.Team), 201, &ch)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/inbound", v.URL, ch.ID),
		strings.NewReader(fmt.Sprintf(`{"external_id":"mail-1","from":%s,"subject":"Factuur","text":"Bel me even?"}`, from)))
	req.Header.Set("Authorization", "Bearer "+ch.Token)
	req.Header.Set("Content-Type", "application/json")
	v.Check(req, 201, nil)
	for _, t := range v.Tickets() {
		if t.ChannelID == ch.ID {
			return t
		}
	}
	v.T.Fatal("the written message opened no ticket")
	return channeltest.Ticket{}
}

// call reads a call as stored.
func (v *voiceEnv) call(chID int64, callID string) *domain.Call {
	v.T.Helper()
	c, err := v.Store.Call(context.Background(), chID, callID)
	if err != nil {
		v.T.Fatalf("call %s: %v", callID, err)
	}
	return c
}

// ticket reads a ticket as stored.
func (v *voiceEnv) ticket(id int64) *domain.Ticket {
	v.T.Helper()
	t, err := v.Store.Ticket(context.Background(), id)
	if err != nil {
		v.T.Fatal(err)
	}
	return t
}

// callEntries are the call entries on a ticket's timeline.
func (v *voiceEnv) callEntries(ticketID int64) []domain.Message {
	v.T.Helper()
	var out []domain.Message
	for _, m := range v.Messages(ticketID) {
		if m.Kind == domain.KindCall {
			out = append(out, m)
		}
	}
	return out
}

func TestCTI_ARecognisedCallerRingsIsAnsweredAndEndsAsOneEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.ctiChannel(`"wrap_up_seconds":30`)
		if !ch.Capabilities.NoReplies {
			t.Errorf("capabilities %+v, want calls only", ch.Capabilities)
		}
		if doc := v.Do("GET", "/api/v1/openapi.json", "", 200, nil); !bytes.Contains(doc, []byte(`"/api/v1/voice/{channel}/cti/{token}"`)) ||
			!bytes.Contains(doc, []byte(`"/api/v1/voice/{channel}/callback"`)) {
			t.Error("the API description lacks the voice routes")
		}
		anna := v.agent("Anna de Vries", "201", v.Team)
		v.agent("Bram Jansen", "202", v.Team)
		var jan domain.Contact
		v.Do("POST", "/api/v1/contacts", `{"name":"Jan","identities":[{"kind":"email","value":"jan@example.com"},{"kind":"phone","value":"06 12345678"}]}`, 201, &jan)

		if answer := v.event(ch, `{"event":"newCall","from":"0612345678","to":"0201234567","direction":"in","callId":"c1","user":["Anna de Vries","Bram Jansen"]}`); answer != "{}" {
			t.Errorf("newCall answered %s, want {}", answer)
		}
		tickets := v.Tickets()
		if len(tickets) != 1 || tickets[0].ContactID != jan.ID || tickets[0].ChannelID != ch.ID {
			t.Fatalf("tickets %+v, want one of Jan's on the voice channel", tickets)
		}
		tk := tickets[0].ID
		if c := v.call(ch.ID, "c1"); c.State != domain.CallRinging || len(c.Ringing) != 2 || c.Customer != "+31612345678" || c.Line != "+31201234567" {
			t.Errorf("ringing call %+v", c)
		}
		v.tick(5)
		v.event(ch, `{"event":"answer","from":"0612345678","to":"0201234567","direction":"in","callId":"c1","answeringNumber":"201"}`)
		if c := v.call(ch.ID, "c1"); c.State != domain.CallAnswered || c.AgentID != anna.ID {
			t.Errorf("answered call %+v, want answered by Anna (%d)", c, anna.ID)
		}
		v.tick(95)
		v.event(ch, `{"event":"hangup","from":"0612345678","to":"0201234567","direction":"in","callId":"c1","cause":"normalClearing","answeringNumber":"201"}`)
		c := v.call(ch.ID, "c1")
		if c.State != domain.CallEnded || c.Cause != domain.CauseNormal || c.Seconds() != 95 || c.Missed || c.BusyUntil != c.EndedAt+30_000 {
			t.Errorf("ended call %+v, want 95 s, normal, 30 s wrap-up", c)
		}
		entries := v.callEntries(tk)
		if len(entries) != 1 || entries[0].Text != "Call from +31612345678, 1:35" {
			t.Fatalf("call entries %+v, want one", entries)
		}
		if got := v.ticket(tk); got.AssigneeID != anna.ID || got.Status != domain.StatusOpen {
			t.Errorf("ticket assignee %d status %s, want Anna and open", got.AssigneeID, got.Status)
		}
		if n := len(v.Events.Of(domain.EventCallUpdated)); n != 3 {
			t.Errorf("%d call.updated events, want 3", n)
		}
		body := v.Do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk), `{"text":"Zoals besproken..."}`, 422, nil)
		if !bytes.Contains(body, []byte("no_replies")) {
			t.Errorf("a reply by the voice channel answered %s, want no_replies", body)
		}
	})
}

func TestCTI_AMissedCallWaitsUnassignedInTheTeamsQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.ctiChannel("")
		v.agent("Anna de Vries", "201", v.Team)
		form := "event=newCall&from=31612345678&to=0201234567&direction=in&callId=m1&user%5B%5D=Anna+de+Vries"
		if status, answer := v.pbx(ch, testCTIToken, contentTypeForm, form); status != 200 || answer != "{}" {
			t.Fatalf("form newCall answered %d %s", status, answer)
		}
		v.tick(30)
		v.event(ch, `{"event":"hangup","from":"31612345678","to":"0201234567","direction":"in","callId":"m1","cause":"noAnswer"}`)
		c := v.call(ch.ID, "m1")
		if !c.Missed || c.Cause != domain.CauseNoAnswer || c.AgentID != 0 {
			t.Errorf("call %+v, want missed", c)
		}
		tk := v.ticket(c.TicketID)
		if tk.Status != domain.StatusOpen || tk.AssigneeID != 0 || tk.TeamID != v.Team {
			t.Errorf("ticket status %s assignee %d team %d, want open, unassigned, in team %d", tk.Status, tk.AssigneeID, tk.TeamID, v.Team)
		}
		if entries := v.callEntries(tk.ID); len(entries) != 1 || entries[0].Text != "Missed call from +31612345678" {
			t.Errorf("entries %+v", entries)
		}
	})
}

func TestCTI_AnonymousCallersAndRejection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		open := v.ctiChannel("")
		if answer := v.event(open, `{"event":"newCall","from":"anonymous","to":"0201234567","direction":"in","callId":"a1"}`); answer != "{}" {
			t.Errorf("an anonymous caller was answered %s, want {}", answer)
		}
		if c := v.call(open.ID, "a1"); c.Customer != "" || c.State != domain.CallRinging {
			t.Errorf("anonymous call %+v", c)
		}

		strict := v.ctiChannel(`"reject_anonymous":true,"blocked":["0687654321"]`)
		for id, from := range map[string]string{"a2": "anonymous", "a3": "0031687654321"} {
			answer := v.event(strict, fmt.Sprintf(`{"event":"newCall","from":%q,"to":"0201234567","direction":"in","callId":%q}`, from, id))
			if answer != `{"action":"reject","reason":"busy"}` {
				t.Errorf("%s answered %s, want a rejection", from, answer)
			}
			c := v.call(strict.ID, id)
			if c.State != domain.CallEnded || c.Cause != domain.CauseRejected || c.Missed {
				t.Errorf("%s: call %+v, want ended as rejected, not missed", from, c)
			}
			if entries := v.callEntries(c.TicketID); len(entries) != 1 {
				t.Errorf("%s: %d entries, want the rejected call once", from, len(entries))
			}
		}
		if answer := v.event(strict, `{"event":"newCall","from":"0612345678","to":"0201234567","direction":"in","callId":"a4"}`); answer != "{}" {
			t.Errorf("a caller who is not blocked answered %s", answer)
		}
	})
}

func TestCTI_RepeatedAndLateEventsChangeNothingWrong(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.ctiChannel("")
		anna := v.agent("Anna de Vries", "201", v.Team)
		newCall := `{"event":"newCall","from":"0612345678","to":"0201234567","direction":"in","callId":"o1","user":["Anna de Vries"]}`
		v.event(ch, newCall)
		v.event(ch, newCall)
		v.tick(20)
		v.event(ch, `{"event":"hangup","from":"0612345678","to":"0201234567","direction":"in","callId":"o1","cause":"cancel"}`)
		before := len(v.Events.Of(domain.EventCallUpdated))
		v.tick(5)
		// The answer arrives after the hang-up, and the hang-up again.
		v.event(ch, `{"event":"answer","from":"0612345678","to":"0201234567","direction":"in","callId":"o1","answeringNumber":"201"}`)
		v.event(ch, `{"event":"hangup","from":"0612345678","to":"0201234567","direction":"in","callId":"o1","cause":"normalClearing"}`)
		v.event(ch, newCall)
		c := v.call(ch.ID, "o1")
		if c.State != domain.CallEnded || c.Cause != domain.CauseCancelled || c.AnsweredAt != 0 || c.AgentID != 0 || !c.Missed {
			t.Errorf("call %+v, want ended as cancelled and missed", c)
		}
		if after := len(v.Events.Of(domain.EventCallUpdated)); after != before {
			t.Errorf("%d call.updated events after late ones, want %d", after, before)
		}
		if entries := v.callEntries(c.TicketID); len(entries) != 1 {
			t.Errorf("%d entries, want 1", len(entries))
		}
		if tk := v.ticket(c.TicketID); tk.AssigneeID == anna.ID {
			t.Error("a late answer assigned the ticket")
		}
	})
}

func TestCTI_WrongTokenAndBadEventsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.ctiChannel("")
		ok := `{"event":"newCall","from":"0612345678","to":"0201234567","direction":"in","callId":"w1"}`
		for _, tt := range []struct {
			token, ct, body string
			status          int
			code            string
		}{
			{"wrong-token-wrong-token-wrong-token", contentTypeJSON, ok, 401, "invalid_token"},
			{testCTIToken, contentTypeJSON, `{"event":"newCall"`, 400, "invalid_payload"},
			{testCTIToken, contentTypeJSON, `{"event":"park","callId":"w1"}`, 400, "unknown_event"},
			{testCTIToken, contentTypeJSON, `{"event":"newCall","callId":"w1","from":"jan@example.com"}`, 400, "invalid_number"},
			{testCTIToken, "text/plain", ok, 400, "unsupported_content_type"},
		} {
			status, answer := v.pbx(ch, tt.token, tt.ct, tt.body)
			if status != tt.status || !strings.Contains(answer, tt.code) {
				t.Errorf("%s: %d %s, want %d %s", tt.body, status, answer, tt.status, tt.code)
			}
		}
		if got := v.Tickets(); len(got) != 0 {
			t.Errorf("%d tickets after refused events", len(got))
		}
	})
}

func TestCTI_ClickToCallFromAWrittenTicketIsDialedAndLoggedThere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		ch := v.ctiChannel("")
		anna := v.agent("Anna de Vries", "201", v.Team)
		tk := v.writtenTicket(`{"email":"jan@example.com"}`)

		dialed, err := v.Desk.Dial(context.Background(), tk.ID, anna, 0, "06 12345678")
		if err != nil {
			t.Fatal(err)
		}
		if dialed.State != domain.CallDialing || dialed.TicketID != tk.ID {
			t.Fatalf("dialed %+v", dialed)
		}
		v.tick(3)
		answer := v.event(ch, `{"event":"newCall","from":"201","to":"","direction":"out","callId":"pbx-77","user":["Anna de Vries"]}`)
		var dial ctiAnswerBody
		if err := json.Unmarshal([]byte(answer), &dial); err != nil || dial != (ctiAnswerBody{Action: "dial", CallerID: "+31201234567", Number: "+31612345678"}) {
			t.Fatalf("outbound newCall answered %s, want to dial Jan from the line's number", answer)
		}
		v.tick(4)
		v.event(ch, `{"event":"answer","from":"201","to":"0612345678","direction":"out","callId":"pbx-77"}`)
		v.tick(60)
		v.event(ch, `{"event":"hangup","from":"201","to":"0612345678","direction":"out","callId":"pbx-77","cause":"normalClearing"}`)
		c := v.call(ch.ID, "pbx-77")
		if c.TicketID != tk.ID || c.AgentID != anna.ID || c.Direction != domain.DirectionOut || c.Seconds() != 60 || c.State != domain.CallEnded {
			t.Errorf("call %+v, want Anna's 60-second call on the written ticket", c)
		}
		if entries := v.callEntries(tk.ID); len(entries) != 1 || entries[0].Text != "Call to +31612345678, 1:00" {
			t.Errorf("entries %+v", entries)
		}
		if got := v.Tickets(); len(got) != 1 {
			t.Errorf("%d tickets, want the written one only", len(got))
		}
	})
}

func TestCTI_CallerIDRoutingSendsTheCallToATeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		var vip, complaints domain.Team
		v.Do("POST", "/api/v1/teams", `{"name":"VIP"}`, 201, &vip)
		v.Do("POST", "/api/v1/teams", `{"name":"Complaints"}`, 201, &complaints)
		ch := v.ctiChannel(fmt.Sprintf(`"routes":[{"attribute":"segment","equals":"vip","team_id":%d},{"open_ticket_tag":"complaint","team_id":%d}]`, vip.ID, complaints.ID))
		v.Do("POST", "/api/v1/contacts", `{"name":"Els","attributes":{"segment":"vip"},"identities":[{"kind":"phone","value":"+31611111111"}]}`, 201, nil)
		v.Do("POST", "/api/v1/contacts", `{"name":"Piet","identities":[{"kind":"phone","value":"+31633333333"}]}`, 201, nil)
		for id, want := range map[string]struct {
			from string
			team int64
		}{"r1": {"0611111111", vip.ID}, "r2": {"0633333333", v.Team}, "r3": {"0644444444", v.Team}} {
			v.event(ch, fmt.Sprintf(`{"event":"newCall","from":%q,"to":"0201234567","direction":"in","callId":%q}`, want.from, id))
			if got := v.ticket(v.call(ch.ID, id).TicketID).TeamID; got != want.team {
				t.Errorf("call from %s went to team %d, want %d", want.from, got, want.team)
			}
		}
		// Routing decides where a new ticket goes: once Piet has an open
		// complaint, his calls are for the complaints team.
		piet := v.call(ch.ID, "r2")
		v.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", piet.TicketID), `{"tags":["complaint"]}`, 200, nil)
		c, err := v.Desk.Caller(context.Background(), "+31633333333")
		if err != nil || len(c.OpenTicketTags) != 1 {
			t.Fatalf("caller %+v %v", c, err)
		}
		s := &Settings{Routes: []Route{{Attribute: "segment", Equals: "vip", TeamID: vip.ID}, {OpenTicketTag: "complaint", TeamID: complaints.ID}}}
		if team, err := s.team(context.Background(), v.Desk, "+31633333333"); err != nil || team != complaints.ID {
			t.Errorf("a caller with an open complaint routes to %d %v, want %d", team, err, complaints.ID)
		}
	})
}

func TestCampaign_PassesOverAVoiceChannelForTheNextThatCarriesMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		v := startVoice(t, st, channeltest.Options{})
		phone := v.ctiChannel("")
		tk := v.writtenTicket(`{"email":"jan@example.com","phone":"+31612345678"}`)
		v.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), `{"tags":["order"]}`, 200, nil)
		v.Do("POST", "/api/v1/templates", `{"name":"delay","language":"en","body":"Your order is late."}`, 201, nil)
		var c store.Campaign
		v.Do("POST", "/api/v1/campaigns", fmt.Sprintf(`{"name":"Delay","template":"delay","channel_ids":[%d,%d],"filter":{"tags":["order"]},"rate_per_minute":6000}`,
			phone.ID, tk.ChannelID), 201, &c)
		v.Wait("the campaign's result", func() bool {
			v.Do("GET", fmt.Sprintf("/api/v1/campaigns/%d", c.ID), "", 200, &c)
			return c.Counts["pending"] == 0
		})
		if c.Counts["sent"] != 1 {
			t.Fatalf("counts %v, want the message sent", c.Counts)
		}
		var sent []domain.Message
		for _, m := range v.Messages(tk.ID) {
			if m.Direction == domain.DirectionOut && m.Text == "Your order is late." {
				sent = append(sent, m)
			}
		}
		if len(sent) != 1 || sent[0].ChannelID != tk.ChannelID {
			t.Errorf("sent %+v, want one message by the written channel", sent)
		}
	})
}
