package automation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// shop is a web shop's API channel: it posts customers' messages and
// receives the replies (deliveries) Loket sends.
type shop struct {
	*channeltest.Env
	channel int64
	token   string
	mu      sync.Mutex
	got     []api.Delivery
}

func startShop(t testing.TB, st *store.Store) *shop {
	s := &shop{Env: channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{api.New()} })}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d api.Delivery
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil {
			t.Errorf("delivery: %v", err)
		}
		s.mu.Lock()
		s.got = append(s.got, d)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	var ch struct {
		ID    int64  `json:"id"`
		Token string `json:"inbound_token"`
	}
	s.Do("POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"api","name":"Shop","team_id":%d,"settings":{"webhook_url":%q,"secret":"0123456789abcdef0123"}}`,
		s.Team, hook.URL), 201, &ch)
	s.channel, s.token = ch.ID, ch.Token
	return s
}

func (s *shop) inbound(externalID, email, text string) {
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/inbound", s.URL, s.channel),
		strings.NewReader(fmt.Sprintf(`{"external_id":%q,"from":{"email":%q},"text":%q}`, externalID, email, text)))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	s.Check(req, 201, nil)
}

func (s *shop) deliveries() []api.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]api.Delivery(nil), s.got...)
}

type ruleOut struct {
	ID      int64 `json:"id"`
	Version int   `json:"version"`
}

type runOut struct {
	TicketID int64    `json:"ticket_id"`
	Actions  []string `json:"actions"`
	Error    string   `json:"error"`
}

func (s *shop) runs(rule int64) []runOut {
	var runs []runOut
	s.Do("GET", fmt.Sprintf("/api/v1/rules/%d/runs", rule), "", 200, &runs)
	return runs
}

// idle waits until every task (triggers, rules) has run.
func (s *shop) idle() {
	s.Wait("every task to run", func() bool {
		n, err := s.Store.Tasks().Pending(context.Background())
		if err != nil {
			s.T.Fatal(err)
		}
		return n == 0
	})
}

func TestRule_OnAMessageChangesTheTicketAndSaysSoOnItsTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"Refunds","trigger":"message.received",
			"conditions":{"all":[{"field":"message.text","op":"contains_word","value":["refund","terugbetaling"]}]},
			"actions":[{"type":"set_priority","priority":"high"},{"type":"add_tags","tags":["refund"]},
			{"type":"note","text":"Refund asked by {{.contact.email}}"}]}`, 201, &r)
		s.inbound("m1", "jan@example.nl", "I want a refund for order 12")
		s.Wait("the rule to run", func() bool { return len(s.runs(r.ID)) == 1 })
		s.idle()
		tk := s.Tickets()[0]
		var got domain.Ticket
		s.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), "", 200, &got)
		if got.Priority != domain.PriorityHigh || len(got.Tags) != 1 || got.Tags[0] != "refund" {
			t.Errorf("ticket priority %s tags %v", got.Priority, got.Tags)
		}
		var note, ran bool
		for _, m := range s.Messages(tk.ID) {
			note = note || (m.Kind == domain.KindNote && m.Text == "Refund asked by jan@example.nl")
			ran = ran || (m.Kind == domain.KindEvent && strings.Contains(string(m.Meta), `"event":"rule.ran"`) &&
				strings.Contains(m.Text, `Rule "Refunds" (version 1): priority → high; tags + refund; internal note`))
		}
		if !note || !ran {
			t.Errorf("note %v, rule.ran on the timeline %v", note, ran)
		}
		// A message that does not match sets nothing off, and records no
		// trigger to find that out.
		before, err := st.Tasks().List(context.Background(), desk.TaskTrigger, 100)
		if err != nil {
			t.Fatal(err)
		}
		s.inbound("m2", "jan@example.nl", "Thanks!")
		s.idle()
		if after, _ := st.Tasks().List(context.Background(), desk.TaskTrigger, 100); len(after) != len(before) {
			t.Errorf("%d triggers recorded for a message no rule fits", len(after)-len(before))
		}
		if runs := s.runs(r.ID); len(runs) != 1 {
			t.Errorf("%d runs, want 1", len(runs))
		}
		// What would the rule do: matched, with the note filled in.
		var res struct {
			Matched bool `json:"matched"`
			Actions []struct {
				Description string `json:"description"`
				Preview     string `json:"preview"`
			} `json:"actions"`
		}
		s.Do("POST", "/api/v1/rules/test", fmt.Sprintf(`{"ticket_number":%d,"rule":{"name":"Thanks","trigger":"message.received",
			"conditions":{"all":[{"field":"message.text","op":"contains","value":"thanks"}]},
			"actions":[{"type":"reply","text":"You are welcome, {{.contact.email}}"}]}}`, tk.Number), 200, &res)
		if !res.Matched || len(res.Actions) != 1 || res.Actions[0].Preview != "You are welcome, jan@example.nl" {
			t.Errorf("test result %+v", res)
		}
	})
}

func TestRule_ExternalEventSendsTheTemplateOnceInTheContactsLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		s.Do("POST", "/api/v1/templates", `{"name":"order-delivery","language":"en","body":"Your order {{.order.number}} arrives on {{.order.delivery_date | date}}."}`, 201, nil)
		s.Do("POST", "/api/v1/templates", `{"name":"order-delivery","language":"nl","body":"Je bestelling {{.order.number}} komt op {{.order.delivery_date | date}}."}`, 201, nil)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", fmt.Sprintf(`{"name":"Order","trigger":"event","event_name":"order.placed",
			"actions":[{"type":"send_template","template":"order-delivery","channel_ids":[%d]}]}`, s.channel), 201, &r)

		shopToken := secret.Token("lkt")
		if err := st.CreateAPIToken(context.Background(), &store.APIToken{Name: "webshop", Role: domain.RoleAgent, Scope: store.ScopeEvents},
			secret.Hash(shopToken)); err != nil {
			t.Fatal(err)
		}
		post := func(body string, want int, out any) {
			req, _ := http.NewRequest("POST", s.URL+"/api/v1/events", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+shopToken)
			req.Header.Set("Content-Type", "application/json")
			s.Check(req, want, out)
		}
		event := `{"name":"order.placed","contact":{"email":"An@Example.nl","language":"nl"},"idempotency_key":"o-7",
			"data":{"order":{"number":"A-7","delivery_date":"2026-12-09"}}}`
		var first, again struct {
			Event     domain.ContactEvent `json:"event"`
			Duplicate bool                `json:"duplicate"`
		}
		post(event, 202, &first)
		post(event, 200, &again)
		if !again.Duplicate || again.Event.ID != first.Event.ID {
			t.Errorf("second post %+v, want the first event %d as a duplicate", again, first.Event.ID)
		}
		s.Wait("the order message to be delivered", func() bool { return len(s.deliveries()) >= 1 })
		s.idle()
		got := s.deliveries()
		if len(got) != 1 || got[0].Message.Text != "Je bestelling A-7 komt op 9 december 2026." {
			t.Fatalf("deliveries %+v, want one Dutch order message", got)
		}
		if got[0].Ticket.Status != string(domain.StatusSolved) {
			t.Errorf("the proactive ticket is %s, want solved", got[0].Ticket.Status)
		}
		// The run is recorded on the ticket it opened.
		if runs := s.runs(r.ID); len(runs) != 1 || runs[0].TicketID != got[0].Ticket.ID {
			t.Errorf("runs %+v, want one on ticket %d", runs, got[0].Ticket.ID)
		}
		ran := false
		for _, m := range s.Messages(got[0].Ticket.ID) {
			ran = ran || strings.Contains(string(m.Meta), `"event":"rule.ran"`)
		}
		if !ran {
			t.Error("the proactive ticket's timeline does not say which rule sent the message")
		}
		var evs []domain.ContactEvent
		s.Do("GET", fmt.Sprintf("/api/v1/events?contact_id=%d", first.Event.ContactID), "", 200, &evs)
		if len(evs) != 1 || evs[0].Data["order"].(map[string]any)["number"] != "A-7" {
			t.Errorf("contact events %+v", evs)
		}
		// The shop's token posts events and does nothing else.
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/tickets", nil)
		req.Header.Set("Authorization", "Bearer "+shopToken)
		s.Check(req, 403, nil)
		// A key is the sender's for one kind of event.
		post(`{"name":"order.shipped","contact":{"email":"an@example.nl"},"idempotency_key":"o-7"}`, 202, nil)
		post(`{"name":"order.placed","data":{}}`, 422, nil)
		post(`{"name":"Order Placed!","contact":{"email":"an@example.nl"}}`, 422, nil)
	})
}

// A trigger task run again after a crash mid-way (here: simply run twice)
// does each action once.
func TestRule_ActionsRunOnceWhenTheTriggerRunsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"Ack","trigger":"ticket.created",
			"actions":[{"type":"reply","text":"We got your message, ticket {{.ticket.number}}."},{"type":"add_tags","tags":["acked"]}]}`, 201, &r)
		s.inbound("m1", "piet@example.nl", "Hello")
		s.Wait("the reply", func() bool { return len(s.deliveries()) == 1 })
		s.idle()
		tk := s.Tickets()[0]
		triggers, err := st.Tasks().List(context.Background(), desk.TaskTrigger, 1)
		if err != nil || len(triggers) != 1 || !strings.Contains(string(triggers[0].Payload), `"ticket.created"`) {
			t.Fatalf("first trigger %+v, %v", triggers, err)
		}
		for range 2 {
			if err := s.Rules.HandleTrigger(context.Background(), triggers[0]); err != nil {
				t.Fatal(err)
			}
		}
		s.idle()
		replies, events := 0, 0
		for _, m := range s.Messages(tk.ID) {
			if m.Kind == domain.KindMessage && m.Direction == domain.DirectionOut {
				replies++
			}
			if m.Kind == domain.KindEvent && strings.Contains(string(m.Meta), "rule.ran") {
				events++
			}
		}
		if replies != 1 || events != 1 || len(s.deliveries()) != 1 {
			t.Errorf("%d replies, %d rule.ran entries, %d deliveries; want one each", replies, events, len(s.deliveries()))
		}
	})
}

// Two rules that undo each other stop after a few rounds.
func TestRule_LoopsStop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		var a, b ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"Up","trigger":"ticket.updated",
			"conditions":{"all":[{"field":"ticket.priority","op":"eq","value":"normal"}]},
			"actions":[{"type":"set_priority","priority":"high"}]}`, 201, &a)
		s.Do("POST", "/api/v1/rules", `{"name":"Down","trigger":"ticket.updated",
			"conditions":{"all":[{"field":"ticket.priority","op":"eq","value":"high"}]},
			"actions":[{"type":"set_priority","priority":"normal"}]}`, 201, &b)
		s.inbound("m1", "loop@example.nl", "Hello")
		s.inbound("m2", "loop@example.nl", "Hello again")
		s.idle()
		total := len(s.runs(a.ID)) + len(s.runs(b.ID))
		if total == 0 || total > 2*(desk.MaxRuleDepth+1) {
			t.Errorf("%d runs in all, want some and at most %d", total, 2*(desk.MaxRuleDepth+1))
		}
	})
}

func TestScheduledReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		s.inbound("m1", "kees@example.nl", "Call me tomorrow")
		tk := s.Tickets()[0]
		later := time.Now().Add(time.Hour).UnixMilli()
		m := s.Reply(tk.ID, fmt.Sprintf(`{"text":"Good morning!","send_at":%d}`, later), 201)
		if m.DeliveryStatus != domain.DeliveryScheduled || m.SendAt != later {
			t.Fatalf("scheduled reply %s at %d", m.DeliveryStatus, m.SendAt)
		}
		var cancelled domain.Message
		s.Do("DELETE", fmt.Sprintf("/api/v1/messages/%d/schedule", m.ID), "", 200, &cancelled)
		if cancelled.DeliveryStatus != domain.DeliveryCancelled {
			t.Errorf("after cancelling: %s", cancelled.DeliveryStatus)
		}
		s.Do("DELETE", fmt.Sprintf("/api/v1/messages/%d/schedule", m.ID), "", 422, nil)
		// A time already past sends at once.
		now := s.Reply(tk.ID, fmt.Sprintf(`{"text":"Now","send_at":%d}`, time.Now().Add(-time.Minute).UnixMilli()), 201)
		s.Wait("the reply to go out", func() bool { return s.Message(now.ID).DeliveryStatus == domain.DeliveryDelivered })
		if got := s.deliveries(); len(got) != 1 || got[0].Message.Text != "Now" {
			t.Errorf("deliveries %+v, want only the unscheduled reply", got)
		}
		s.Reply(tk.ID, `{"text":"x","note":true,"send_at":99999999999999}`, 422)
	})
}

func TestCampaign_SendsOnEachOpenOrderTicketAndRespectsOptOuts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		s.Do("POST", "/api/v1/templates", `{"name":"delay","language":"en","body":"Sorry, your order (ticket {{.ticket.number}}) is late."}`, 201, nil)
		for i, who := range []string{"a@example.nl", "b@example.nl", "c@example.nl", "d@example.nl"} {
			s.inbound(fmt.Sprint("m", i), who, "Where is my order?")
		}
		tickets := s.Tickets()
		if len(tickets) != 4 {
			t.Fatalf("%d tickets", len(tickets))
		}
		for i, tk := range tickets {
			body := `{"tags":["order"]}`
			if i == 3 {
				body = `{"tags":["order"],"status":"solved"}` // not open: not chosen
			}
			s.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), body, 200, nil)
		}
		if err := st.SetOptOut(context.Background(), tickets[2].ContactID, api.Kind, true); err != nil {
			t.Fatal(err)
		}
		var c store.Campaign
		s.Do("POST", "/api/v1/campaigns", fmt.Sprintf(`{"name":"Storm delay","template":"delay","channel_ids":[%d],
			"filter":{"statuses":["new","open","pending"],"tags":["order"]},"rate_per_minute":6000}`, s.channel), 201, &c)
		if c.Recipients != 3 {
			t.Fatalf("%d recipients, want 3", c.Recipients)
		}
		s.Wait("every recipient's result", func() bool {
			s.Do("GET", fmt.Sprintf("/api/v1/campaigns/%d", c.ID), "", 200, &c)
			return c.Counts["pending"] == 0
		})
		if c.Counts["sent"] != 2 || c.Counts["skipped"] != 1 {
			t.Errorf("counts %v, want 2 sent and 1 skipped", c.Counts)
		}
		var rs []store.Recipient
		s.Do("GET", fmt.Sprintf("/api/v1/campaigns/%d/recipients", c.ID), "", 200, &rs)
		for _, r := range rs {
			if r.ContactID == tickets[2].ContactID && (r.State != "skipped" || !strings.Contains(r.Detail, "opted out")) {
				t.Errorf("opted-out recipient %+v", r)
			}
		}
		s.Wait("two deliveries", func() bool { return len(s.deliveries()) == 2 })
		for _, d := range s.deliveries() {
			if d.Message.Text != fmt.Sprintf("Sorry, your order (ticket %d) is late.", d.Ticket.Number) {
				t.Errorf("delivery %q on ticket %d", d.Message.Text, d.Ticket.Number)
			}
		}
		s.Do("POST", "/api/v1/campaigns", `{"name":"All","template":"delay","filter":{}}`, 422, nil)
		s.Do("POST", "/api/v1/campaigns", `{"name":"X","template":"nope","filter":{"tags":["order"]}}`, 422, nil)
	})
}

// A scheduled reminder goes out once per silence of the customer.
func TestScheduledRule_RemindsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"Reminder","trigger":"schedule",
			"conditions":{"all":[{"field":"ticket.status","op":"eq","value":"pending"},{"field":"ticket.hours_since_agent","op":"gte","value":0},
			{"field":"ticket.business_hours_since_agent","op":"gte","value":0}]},
			"actions":[{"type":"reply","text":"Did our answer help, {{.contact.email}}?"}]}`, 201, &r)
		s.inbound("m1", "remind@example.nl", "How do I reset it?")
		tk := s.Tickets()[0]
		s.Reply(tk.ID, `{"text":"Hold the button for ten seconds."}`, 201)
		s.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), `{"status":"pending"}`, 200, nil)
		for range 3 {
			if err := s.Rules.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		s.Wait("the answer and the reminder", func() bool { return len(s.deliveries()) == 2 })
		if runs := s.runs(r.ID); len(runs) != 1 {
			t.Errorf("%d runs, want 1", len(runs))
		}
		// The outbox delivers side by side: the reminder may arrive first.
		var texts []string
		for _, d := range s.deliveries() {
			texts = append(texts, d.Message.Text)
		}
		if !slices.Contains(texts, "Did our answer help, remind@example.nl?") {
			t.Errorf("deliveries %q: want the reminder among them", texts)
		}
		// The customer answers and goes quiet again: one more reminder.
		s.inbound("m2", "remind@example.nl", "Not yet")
		s.Reply(tk.ID, `{"text":"Then try the reset pin."}`, 201)
		s.Do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), `{"status":"pending"}`, 200, nil)
		for range 2 {
			if err := s.Rules.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if runs := s.runs(r.ID); len(runs) != 2 {
			t.Errorf("%d runs after a second silence, want 2", len(runs))
		}
	})
}

// A reply held for approval goes out only once a supervisor approves it,
// with their corrections; one sent back never goes out.
func TestApproval_HoldsARuleReplyUntilApproved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		s.Do("POST", "/api/v1/rules", `{"name":"Answer reviews","trigger":"message.received",
			"conditions":{"all":[{"field":"message.text","op":"contains_word","value":"review"}]},
			"actions":[{"type":"reply","text":"Thanks for your review, {{.contact.email}}!","approval":true}]}`, 201, nil)
		s.inbound("m1", "fan@example.nl", "Here is my review: great")
		var held []domain.Message
		s.Wait("the rule's reply to wait for approval", func() bool {
			s.Do("GET", "/api/v1/approvals", "", 200, &held)
			return len(held) == 1
		})
		if held[0].DeliveryStatus != domain.DeliveryAwaitingApproval || held[0].Text != "Thanks for your review, fan@example.nl!" {
			t.Fatalf("held reply %+v", held[0])
		}
		s.idle()
		if n := len(s.deliveries()); n != 0 {
			t.Fatalf("%d deliveries before approval", n)
		}
		s.Do("POST", fmt.Sprintf("/api/v1/messages/%d/return", held[0].ID), `{"comment":""}`, 422, nil)
		var approved domain.Message
		s.Do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", held[0].ID), `{"text":"Thank you for your kind review!"}`, 200, &approved)
		if approved.DeliveryStatus != domain.DeliveryQueued {
			t.Errorf("approved reply is %s", approved.DeliveryStatus)
		}
		s.Wait("the approved reply to go out", func() bool { return len(s.deliveries()) == 1 })
		if got := s.deliveries()[0].Message.Text; got != "Thank you for your kind review!" {
			t.Errorf("delivered %q, want the reviewer's text", got)
		}
		s.Do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", held[0].ID), `{}`, 422, nil)

		// An agent's reply sent back stays unsent, with the comment on the timeline.
		tk := s.Tickets()[0]
		m := s.Reply(tk.ID, `{"text":"We are sorry!!!","approval":true}`, 201)
		var back domain.Message
		s.Do("POST", fmt.Sprintf("/api/v1/messages/%d/return", m.ID), `{"comment":"One exclamation mark is enough."}`, 200, &back)
		if back.DeliveryStatus != domain.DeliveryReturned {
			t.Errorf("sent-back reply is %s", back.DeliveryStatus)
		}
		var approvedEv, returnedEv bool
		for _, msg := range s.Messages(tk.ID) {
			approvedEv = approvedEv || strings.Contains(string(msg.Meta), `"event":"reply.approved"`) && strings.Contains(string(msg.Meta), `"edited":true`)
			returnedEv = returnedEv || strings.Contains(msg.Text, "One exclamation mark is enough.")
		}
		if !approvedEv || !returnedEv {
			t.Errorf("timeline: approved with edit %v, sent back with comment %v", approvedEv, returnedEv)
		}
		s.idle()
		if n := len(s.deliveries()); n != 1 {
			t.Errorf("%d deliveries, want only the approved one", n)
		}
		var before domain.Ticket
		s.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), "", 200, &before)
		if before.FirstResponseAt != 0 {
			t.Fatalf("answered at %d before any agent's reply went out", before.FirstResponseAt)
		}
		// An agent's reply held for approval answers the customer, for the
		// SLA, when it goes out.
		held2 := s.Reply(tk.ID, `{"text":"We are sorry.","approval":true}`, 201)
		s.Do("POST", fmt.Sprintf("/api/v1/messages/%d/approve", held2.ID), `{}`, 200, nil)
		s.Wait("the reply to go out", func() bool { return s.Message(held2.ID).DeliveryStatus == domain.DeliveryDelivered })
		var after domain.Ticket
		s.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), "", 200, &after)
		if after.FirstResponseAt == 0 || after.LastAgentAt < held2.CreatedAt {
			t.Errorf("after the approved reply went out: first response %d, last agent %d", after.FirstResponseAt, after.LastAgentAt)
		}
	})
}

func TestAuditLog_ListsRuleChangesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := startShop(t, st)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"A","trigger":"ticket.created","actions":[{"type":"add_tags","tags":["a"]}]}`, 201, &r)
		s.Do("DELETE", fmt.Sprintf("/api/v1/rules/%d", r.ID), "", 204, nil)
		var page struct {
			Entries []store.AuditEntry `json:"entries"`
		}
		s.Do("GET", "/api/v1/audit?action=rule.", "", 200, &page)
		if len(page.Entries) != 2 || page.Entries[0].Action != "rule.delete" || page.Entries[1].Action != "rule.save" || page.Entries[0].Actor != "token tests" {
			t.Fatalf("audit %+v", page.Entries)
		}
		s.Do("GET", fmt.Sprintf("/api/v1/audit?action=rule.&before=%d", page.Entries[0].ID), "", 200, &page)
		if len(page.Entries) != 1 || page.Entries[0].Action != "rule.save" {
			t.Errorf("second page %+v", page.Entries)
		}
	})
}

func TestRule_AMissedCallSetsOffItsRuleOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		phone := &phonetest.Phone{}
		env := channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{api.New(), phone} })
		s := &shop{Env: env}
		var ch struct {
			ID int64 `json:"id"`
		}
		s.Do("POST", "/api/v1/channels", fmt.Sprintf(`{"kind":"phone","name":"Switchboard","team_id":%d,"settings":{}}`, s.Team), 201, &ch)
		var r ruleOut
		s.Do("POST", "/api/v1/rules", `{"name":"Missed calls","trigger":"call.missed",
			"conditions":{"all":[{"field":"call.customer","op":"starts_with","value":"+31"}]},
			"actions":[{"type":"add_tags","tags":["callback"]},{"type":"note","text":"Call {{.call.customer}} back"}]}`, 201, &r)
		channelOf, err := st.Channel(context.Background(), ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		ring := channel.CallEvent{CallID: "c1", Direction: domain.DirectionIn, Customer: "+31612345678", State: domain.CallRinging}
		missed := ring
		missed.State, missed.Cause = domain.CallEnded, domain.CauseNoAnswer
		late := missed
		late.VoicemailURL = "https://pbx.example/vm/c1.wav"
		for _, p := range [][]channel.CallEvent{{ring}, {missed}, {late}} {
			if _, err := s.Desk.Ingest(context.Background(), channelOf, "application/json", phonetest.Payload(p...)); err != nil {
				t.Fatal(err)
			}
		}
		s.Wait("the rule to run", func() bool { return len(s.runs(r.ID)) == 1 })
		s.idle()
		if runs := s.runs(r.ID); len(runs) != 1 || runs[0].Error != "" {
			t.Fatalf("runs %+v: want one, for the call that was missed (not again for its voicemail)", runs)
		}
		tk := s.Tickets()[0]
		var note bool
		for _, m := range s.Messages(tk.ID) {
			note = note || (m.Kind == domain.KindNote && m.Text == "Call +31612345678 back")
		}
		var got domain.Ticket
		s.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), "", 200, &got)
		if !note || len(got.Tags) != 1 || got.Tags[0] != "callback" {
			t.Errorf("note %v, tags %v", note, got.Tags)
		}
	})
}
