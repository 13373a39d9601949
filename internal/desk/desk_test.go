package desk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// recorder collects published events.
type recorder struct {
	mu     sync.Mutex
	events []domain.Event
}

func (r *recorder) Publish(evs ...domain.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type)
	}
	return out
}

type fixture struct {
	st     *store.Store
	desk   *desk.Desk
	events *recorder
	ch     *domain.Channel
	team   *domain.Team
}

func newFixture(t *testing.T, st *store.Store, settings string, secrets map[string]string) *fixture {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, events: &recorder{}, team: &domain.Team{Name: "Support"}}
	if err := st.CreateTeam(ctx, f.team); err != nil {
		t.Fatal(err)
	}
	if settings == "" {
		settings = "{}"
	}
	f.ch = &domain.Channel{Kind: api.Kind, Name: "Shop", TeamID: f.team.ID, Enabled: true, Settings: json.RawMessage(settings), Secrets: secrets}
	if err := st.CreateChannel(ctx, f.ch, "token-hash-"+fmt.Sprint(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	f.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Events: f.events,
		Region: "NL", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(f.desk.Close)
	return f
}

func (f *fixture) receive(t *testing.T, in channel.Inbound) *desk.Received {
	t.Helper()
	in.ChannelID = f.ch.ID
	r, err := f.desk.Receive(context.Background(), &in)
	if err != nil {
		t.Fatalf("Receive(%s): %v", in.ExternalID, err)
	}
	return r
}

func email(t *testing.T, s string) domain.Identity {
	id, err := domain.NewIdentity(domain.IdentityEmail, s, "NL")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func phone(t *testing.T, s string) domain.Identity {
	id, err := domain.NewIdentity(domain.IdentityPhone, s, "NL")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReceive_DuplicateExternalIDReturnsFirstMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		first := f.receive(t, channel.Inbound{ExternalID: "m1", From: email(t, "jan@example.nl"), Name: "Jan", Text: "Where is my order?"})
		again := f.receive(t, channel.Inbound{ExternalID: "m1", From: email(t, "jan@example.nl"), Text: "Where is my order?"})
		if first.Duplicate || !again.Duplicate {
			t.Fatalf("duplicate flags: first %v, again %v", first.Duplicate, again.Duplicate)
		}
		if again.Message.ID != first.Message.ID || again.Ticket.ID != first.Ticket.ID || again.Contact.ID != first.Contact.ID {
			t.Fatalf("duplicate returned other ids: %+v vs %+v", again.Message, first.Message)
		}
		msgs, _ := st.Messages(context.Background(), first.Ticket.ID, 0, 0)
		if len(msgs) != 1 {
			t.Fatalf("ticket has %d messages, want 1", len(msgs))
		}
		if first.Ticket.Number < 10001 || first.Contact.Number != "C-000001" || first.Contact.Name != "Jan" {
			t.Fatalf("numbers: ticket %d, contact %s %q", first.Ticket.Number, first.Contact.Number, first.Contact.Name)
		}
	})
}

func TestReceive_RecognisesContactAcrossEmailCaseAndPhoneFormats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		a := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, " Jan@Example.NL"), Also: []domain.Identity{phone(t, "06 12345678")}, Text: "hi"})
		b := f.receive(t, channel.Inbound{ExternalID: "2", From: phone(t, "+31 6 1234 5678"), Text: "hi again"})
		c := f.receive(t, channel.Inbound{ExternalID: "3", From: email(t, "jan@example.nl"), Text: "and again"})
		d := f.receive(t, channel.Inbound{ExternalID: "4", From: phone(t, "0031612345678"), Text: "once more"})
		for _, r := range []*desk.Received{b, c, d} {
			if r.Contact.ID != a.Contact.ID {
				t.Fatalf("contact %d is not the first contact %d", r.Contact.ID, a.Contact.ID)
			}
			if r.Ticket.ID != a.Ticket.ID {
				t.Fatalf("message joined ticket %d, want the open ticket %d", r.Ticket.ID, a.Ticket.ID)
			}
		}
		other := f.receive(t, channel.Inbound{ExternalID: "5", From: email(t, "piet@example.nl"), Text: "hello"})
		if other.Contact.ID == a.Contact.ID {
			t.Fatal("a different customer was recognised as Jan")
		}
	})
}

func TestReceive_FindsTicketByThreadReplyAndOwnTicketNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		jan, piet := email(t, "jan@example.nl"), email(t, "piet@example.nl")
		first := f.receive(t, channel.Inbound{ExternalID: "<a@x>", From: jan, Thread: "order-1", Text: "order 1", Standalone: true})
		second := f.receive(t, channel.Inbound{ExternalID: "<b@x>", From: jan, Thread: "order-2", Text: "order 2", Standalone: true})
		if first.Ticket.ID == second.Ticket.ID || !second.Created {
			t.Fatal("a new thread key did not open a new ticket")
		}
		tests := []struct {
			name string
			in   channel.Inbound
			want int64
		}{
			{"thread key", channel.Inbound{ExternalID: "c", From: jan, Thread: "order-1", Text: "x", Standalone: true}, first.Ticket.ID},
			{"reply to a message", channel.Inbound{ExternalID: "d", From: jan, ReplyTo: []string{"<zz@x>", "<b@x>"}, Text: "x", Standalone: true}, second.Ticket.ID},
			{"own ticket number", channel.Inbound{ExternalID: "e", From: jan, TicketNumber: first.Ticket.Number, Text: "x", Standalone: true}, first.Ticket.ID},
			{"someone else's ticket number", channel.Inbound{ExternalID: "f", From: piet, TicketNumber: first.Ticket.Number, Text: "x", Standalone: true}, 0},
			{"standalone without reference", channel.Inbound{ExternalID: "g", From: jan, Text: "new question", Standalone: true}, 0},
		}
		for _, tt := range tests {
			r := f.receive(t, tt.in)
			if tt.want == 0 && (!r.Created || r.Ticket.ID == first.Ticket.ID) {
				t.Errorf("%s: joined ticket %d, want a new ticket", tt.name, r.Ticket.ID)
			}
			if tt.want != 0 && r.Ticket.ID != tt.want {
				t.Errorf("%s: ticket %d, want %d", tt.name, r.Ticket.ID, tt.want)
			}
		}
	})
}

func TestReceive_ReopensSolvedTicketAndFollowsUpClosedOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		jan := email(t, "jan@example.nl")
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: jan, Text: "help"})
		solved := domain.StatusSolved
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		again := f.receive(t, channel.Inbound{ExternalID: "2", From: jan, Text: "still broken"})
		if again.Ticket.ID != r.Ticket.ID || again.Ticket.Status != domain.StatusOpen || again.Ticket.SolvedAt != 0 {
			t.Fatalf("solved ticket not reopened: %+v", again.Ticket)
		}
		closed := domain.StatusClosed
		for _, s := range []domain.TicketStatus{solved, closed} {
			if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &s}); err != nil {
				t.Fatal(err)
			}
		}
		follow := f.receive(t, channel.Inbound{ExternalID: "3", From: jan, Text: "new problem"})
		if follow.Ticket.ID == r.Ticket.ID || follow.Ticket.FollowUpOf != r.Ticket.ID || follow.Ticket.Status != domain.StatusNew {
			t.Fatalf("closed ticket: got %+v, want a new follow-up of %d", follow.Ticket, r.Ticket.ID)
		}
		old, _ := st.Ticket(ctx, r.Ticket.ID)
		if old.Status != domain.StatusClosed {
			t.Fatalf("closed ticket became %s", old.Status)
		}
	})
}

func TestReceive_AutomaticMessageDoesNotReopenOrCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		jan := email(t, "jan@example.nl")
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: jan, Text: "help"})
		pending := domain.StatusPending
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &pending}); err != nil {
			t.Fatal(err)
		}
		ooo := f.receive(t, channel.Inbound{ExternalID: "2", From: jan, Text: "I am out of office", Automatic: true})
		if ooo.Ticket.Status != domain.StatusPending || ooo.Ticket.LastCustomerAt != r.Ticket.LastCustomerAt {
			t.Fatalf("automatic reply changed the ticket: %+v", ooo.Ticket)
		}
	})
}

func TestReceive_ConcurrentMessagesAreAllStoredWithUniqueNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		const n = 400
		var wg sync.WaitGroup
		errs := make(chan error, n)
		numbers := sync.Map{}
		for i := range n {
			wg.Go(func() {
				// 100 customers, each writing 4 times, some messages sent twice.
				in := &channel.Inbound{ChannelID: f.ch.ID, ExternalID: fmt.Sprintf("m%d", i%(n-20)),
					From: domain.Identity{Kind: domain.IdentityEmail, Value: fmt.Sprintf("c%d@example.nl", i%100)}, Text: "hello"}
				r, err := f.desk.Receive(ctx, in)
				if err != nil {
					errs <- err
					return
				}
				numbers.Store(r.Ticket.Number, r.Contact.ID)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		count := 0
		numbers.Range(func(k, v any) bool { count++; return true })
		if count != 100 {
			t.Fatalf("%d tickets, want one per customer (100)", count)
		}
		if _, total := countStored(t, st); total != n-20 {
			t.Fatalf("%d messages stored, want %d distinct", total, n-20)
		}
	})
}

// countStored counts the tickets (up to 200) and their messages.
func countStored(t *testing.T, st *store.Store) (tickets, messages int) {
	t.Helper()
	ctx := context.Background()
	page, err := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range page.Tickets {
		msgs, err := st.Messages(ctx, tk.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		messages += len(msgs)
	}
	return len(page.Tickets), messages
}

func TestReceive_RejectsInvalidInputWithACode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		tests := []struct {
			name string
			in   channel.Inbound
			code string
		}{
			{"no sender", channel.Inbound{ExternalID: "1", Text: "x"}, "invalid_inbound"},
			{"empty", channel.Inbound{ExternalID: "2", From: email(t, "a@b.nl")}, "empty_message"},
			{"subject too long", channel.Inbound{ExternalID: "3", From: email(t, "a@b.nl"), Text: "x", Subject: strings.Repeat("s", domain.MaxSubjectBytes+1)}, "too_long"},
		}
		for _, tt := range tests {
			tt.in.ChannelID = f.ch.ID
			_, err := f.desk.Receive(context.Background(), &tt.in)
			de, ok := err.(*domain.Error)
			if !ok || de.Code != tt.code {
				t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
			}
		}
	})
}

// webhook is a local stand-in for a system receiving API-channel replies.
type webhook struct {
	mu       sync.Mutex
	fail     int // answer 503 this many times first
	bodies   [][]byte
	sigs     []string
	keys     []string
	received chan struct{}
}

func newWebhook(fail int) (*webhook, *httptest.Server) {
	w := &webhook{fail: fail, received: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.fail > 0 {
			w.fail--
			http.Error(rw, "try later", http.StatusServiceUnavailable)
			w.received <- struct{}{}
			return
		}
		w.bodies = append(w.bodies, body)
		w.sigs = append(w.sigs, r.Header.Get(api.SignatureHeader))
		w.keys = append(w.keys, r.Header.Get("Idempotency-Key"))
		rw.Write([]byte(`{"external_id":"shop-77"}`))
		w.received <- struct{}{}
	}))
	return w, srv
}

func TestSend_ReplyIsQueuedThenDeliveredSignedToTheWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		hook, srv := newWebhook(1)
		defer srv.Close()
		const secret = "0123456789abcdef-secret"
		f := newFixture(t, st, `{"webhook_url":"`+srv.URL+`"}`, map[string]string{"secret": secret})
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})

		m, err := f.desk.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "We are on it", AuthorID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if m.DeliveryStatus != domain.DeliveryQueued || m.Address == nil || m.Address.Value != "jan@example.nl" {
			t.Fatalf("stored reply: %+v", m)
		}
		note, err := f.desk.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "internal", Note: true, AuthorID: 1})
		if err != nil || note.Kind != domain.KindNote || note.DeliveryStatus != "" {
			t.Fatalf("note: %+v, %v", note, err)
		}

		deliver := func() {
			jobs, err := st.Claim(ctx, 10, 60_000)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				f.desk.Deliver(ctx, j)
			}
		}
		deliver() // the webhook answers 503: retried later
		got, _ := st.Message(ctx, m.ID)
		if got.DeliveryStatus != domain.DeliveryQueued {
			t.Fatalf("after a 503 the reply is %s, want still queued", got.DeliveryStatus)
		}
		if n, _ := st.PendingJobs(ctx); n != 1 {
			t.Fatalf("pending jobs = %d, want 1", n)
		}
		if jobs, _ := st.Claim(ctx, 10, 60_000); len(jobs) != 0 {
			t.Fatal("a job waiting for its backoff was claimed")
		}
		// Make the retry due now instead of waiting for the backoff.
		if err := st.Enqueue(ctx, m.ID, f.ch.ID, desk.MaxAttempts); err != nil {
			t.Fatal(err)
		}
		deliver()
		got, _ = st.Message(ctx, m.ID)
		if got.DeliveryStatus != domain.DeliveryDelivered || got.ExternalID != "shop-77" {
			t.Fatalf("after delivery: status %s, external id %q", got.DeliveryStatus, got.ExternalID)
		}
		hook.mu.Lock()
		defer hook.mu.Unlock()
		if len(hook.bodies) != 1 {
			t.Fatalf("webhook got %d deliveries, want 1", len(hook.bodies))
		}
		if !api.Verify(secret, hook.bodies[0], hook.sigs[0]) {
			t.Fatalf("signature %q does not verify", hook.sigs[0])
		}
		if hook.keys[0] != fmt.Sprintf("loket-message-%d", m.ID) {
			t.Fatalf("idempotency key %q", hook.keys[0])
		}
		var d api.Delivery
		if err := json.Unmarshal(hook.bodies[0], &d); err != nil || d.Message.Text != "We are on it" || d.Ticket.Number != r.Ticket.Number || d.To.Value != "jan@example.nl" {
			t.Fatalf("delivery body %s (%v)", hook.bodies[0], err)
		}
	})
}

func TestDeliver_GivesUpAfterMaxAttemptsAndRetryQueuesAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		_, srv := newWebhook(1000)
		defer srv.Close()
		f := newFixture(t, st, `{"webhook_url":"`+srv.URL+`"}`, map[string]string{"secret": "0123456789abcdef-secret"})
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		m, err := f.desk.Send(ctx, &desk.Outgoing{TicketID: r.Ticket.ID, Text: "reply", AuthorID: 1})
		if err != nil {
			t.Fatal(err)
		}
		f.desk.Deliver(ctx, store.Job{ID: 1, MessageID: m.ID, ChannelID: f.ch.ID, Attempts: desk.MaxAttempts, MaxAttempts: desk.MaxAttempts})
		got, _ := st.Message(ctx, m.ID)
		if got.DeliveryStatus != domain.DeliveryFailed || got.DeliveryError == "" {
			t.Fatalf("after the last attempt: %s %q", got.DeliveryStatus, got.DeliveryError)
		}
		if _, err := f.desk.Retry(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = st.Message(ctx, m.ID)
		if got.DeliveryStatus != domain.DeliveryQueued {
			t.Fatalf("after retry: %s", got.DeliveryStatus)
		}
		if _, err := f.desk.Retry(ctx, m.ID); err == nil {
			t.Fatal("a queued message could be retried")
		}
	})
}

func TestUpdateTicket_RejectsIllegalTransitionAndRecordsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		r := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		closed := domain.StatusClosed
		if _, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Status: &closed}); err == nil {
			t.Fatal("new → closed was allowed")
		}
		urgent := domain.PriorityUrgent
		tags := []string{"Billing", " billing ", "VIP"}
		tk, err := f.desk.UpdateTicket(ctx, r.Ticket.ID, 0, desk.TicketChange{Priority: &urgent, Tags: &tags})
		if err != nil {
			t.Fatal(err)
		}
		if tk.Priority != urgent || fmt.Sprint(tk.Tags) != "[billing vip]" {
			t.Fatalf("ticket after update: %+v", tk)
		}
		msgs, _ := st.Messages(ctx, r.Ticket.ID, 0, 0)
		if last := msgs[len(msgs)-1]; last.Kind != domain.KindEvent {
			t.Fatalf("last timeline entry is %s, want an event recording the change", last.Kind)
		}
		page, _ := st.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, Tag: "vip"})
		if len(page.Tickets) != 1 {
			t.Fatalf("filter by tag found %d tickets", len(page.Tickets))
		}
	})
}

func TestMergeContacts_MovesIdentitiesAndTicketsToTheSurvivor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, "", nil)
		a := f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Name: "Jan", Text: "by mail"})
		b := f.receive(t, channel.Inbound{ExternalID: "2", From: phone(t, "0612345678"), Text: "by phone"})
		if a.Contact.ID == b.Contact.ID {
			t.Fatal("setup: contacts already the same")
		}
		c, err := f.desk.MergeContacts(ctx, a.Contact.ID, b.Contact.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Identities) != 2 {
			t.Fatalf("survivor identities: %v", c.Identities)
		}
		moved, _ := st.Ticket(ctx, b.Ticket.ID)
		if moved.ContactID != a.Contact.ID {
			t.Fatalf("ticket still belongs to contact %d", moved.ContactID)
		}
		byOld, err := st.ContactByNumber(ctx, b.Contact.Number)
		if err != nil || byOld.ID != a.Contact.ID {
			t.Fatalf("old number leads to %v, %v; want the survivor", byOld, err)
		}
		next := f.receive(t, channel.Inbound{ExternalID: "3", From: phone(t, "+31612345678"), Text: "again"})
		if next.Contact.ID != a.Contact.ID {
			t.Fatal("after the merge the phone number is not recognised as the survivor")
		}
		if _, err := f.desk.MergeContacts(ctx, a.Contact.ID, b.Contact.ID, 0); err == nil {
			t.Fatal("merging an already merged contact succeeded")
		}
	})
}

func TestReceive_PublishesEventsAfterCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, "", nil)
		f.receive(t, channel.Inbound{ExternalID: "1", From: email(t, "jan@example.nl"), Text: "help"})
		f.receive(t, channel.Inbound{ExternalID: "2", From: email(t, "jan@example.nl"), Text: "more"})
		got := fmt.Sprint(f.events.types())
		want := "[ticket.created message.created ticket.updated message.created]"
		if got != want {
			t.Fatalf("events %s, want %s", got, want)
		}
	})
}
