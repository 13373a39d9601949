package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
	"loket.dev/loket/internal/tasks"
)

// recorder keeps the events a Service publishes.
type recorder struct {
	mu     sync.Mutex
	events []domain.Event
	next   domain.Publisher // passed on to, when set
}

func (r *recorder) Publish(events ...domain.Event) {
	r.mu.Lock()
	r.events = append(r.events, events...)
	r.mu.Unlock()
	if r.next != nil {
		r.next.Publish(events...)
	}
}

func (r *recorder) of(typ string) []domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// receiver is a webhook endpoint that answers with the statuses it is
// given, in turn (the last one for ever after), and keeps what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []request
}

type request struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, request{r.Header.Clone(), body})
		status := rc.statuses[min(len(rc.got), len(rc.statuses))-1]
		rc.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

func newService(t *testing.T, st *store.Store, allowPrivate bool) (*Service, *recorder) {
	t.Helper()
	rec := &recorder{}
	return New(Config{Store: st, Events: rec, AllowPrivate: allowPrivate, TTL: time.Hour}), rec
}

// pending stores a delivery of payload to webhook w with its task, as
// Fanout does.
func pending(t *testing.T, st *store.Store, w *domain.Webhook, trigger int64, payload string) *domain.WebhookDelivery {
	t.Helper()
	d := &domain.WebhookDelivery{WebhookID: w.ID, TriggerID: trigger, EventType: "ticket.created", Payload: []byte(payload)}
	err := st.Tx(context.Background(), func(tx *store.Store) error {
		added, err := enqueue(context.Background(), tx, d)
		if err == nil && !added {
			err = errors.New("not added")
		}
		return err
	})
	if err != nil {
		t.Fatalf("add delivery: %v", err)
	}
	return d
}

// job is the task of delivery d at its attempt-th attempt, as the runner
// hands it to Handle; last makes it the final one.
func job(d *domain.WebhookDelivery, attempt int, last bool) store.Job {
	max := MaxAttempts
	if last {
		max = attempt
	}
	return store.Job{ID: d.ID, Kind: TaskKind, Payload: fmt.Appendf(nil, `{"delivery":%d}`, d.ID), Attempts: attempt, MaxAttempts: max}
}

// runTasks runs every queued task until none is left, through the task
// runner as a worker would, making each retry due at once as if its
// backoff had passed. It returns how many runs it made.
func runTasks(t *testing.T, st *store.Store, r *tasks.Runner) int {
	t.Helper()
	ctx := context.Background()
	runs := 0
	for range 1000 {
		jobs, err := st.Tasks().Claim(ctx, 10, 15000)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			return runs
		}
		for _, j := range jobs {
			r.Run(ctx, j)
			runs++
			if state, _, _, _ := st.Tasks().State(ctx, j.ID); state == "pending" {
				if err := st.Tasks().Retry(ctx, j.ID, 1, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Fatal("tasks kept running")
	return runs
}

func delivery(t *testing.T, st *store.Store, id int64) *domain.WebhookDelivery {
	t.Helper()
	d, err := st.WebhookDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func hook(t *testing.T, st *store.Store, id int64) *domain.Webhook {
	t.Helper()
	w, err := st.Webhook(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDeliver_AReceiverFailingThreeTimesGetsThePayloadOnceSigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st, true)
		rc := newReceiver(t, 500, 502, 503, 204)
		w, err := svc.Create(ctx, "Ada", rc.URL+"/hook", []string{"ticket.created"})
		if err != nil {
			t.Fatal(err)
		}
		payload := `{"id":"7","type":"ticket.created","created_at":1,"data":{}}`
		d := pending(t, st, w, 7, payload)
		r := tasks.NewRunner(st, slog.New(slog.DiscardHandler))
		r.Handle(TaskKind, svc.Handle)
		if runs := runTasks(t, st, r); runs != 4 {
			t.Fatalf("the task ran %d times, want 4", runs)
		}
		// The task runs once more (a node died before recording that it
		// was done): the receiver hears nothing more.
		if err := svc.Handle(ctx, job(d, 5, false)); err != nil {
			t.Fatalf("a run after delivery: %v", err)
		}
		got := delivery(t, st, d.ID)
		if got.State != domain.WebhookDeliveryDelivered || got.Attempts != 4 || got.ResponseStatus != 204 || got.Error != "" || got.DeliveredAt == 0 {
			t.Fatalf("after delivery: %+v", got)
		}
		reqs := rc.requests()
		if len(reqs) != 4 {
			t.Fatalf("receiver got %d requests, want 4", len(reqs))
		}
		for i, r := range reqs {
			if string(r.body) != payload {
				t.Errorf("request %d: body %s, want %s", i+1, r.body, payload)
			}
			if err := Verify(w.Secret, r.header.Get(HeaderSignature), r.body, time.Now()); err != nil {
				t.Errorf("request %d: %v", i+1, err)
			}
			if r.header.Get(HeaderEvent) != "ticket.created" || r.header.Get(HeaderDelivery) != strconv.FormatInt(d.ID, 10) ||
				r.header.Get("Content-Type") != "application/json" {
				t.Errorf("request %d: headers %v", i+1, r.header)
			}
		}
		if hook(t, st, w.ID).Failures != 0 {
			t.Error("a delivered event left failures counted")
		}
	})
}

func TestDeliver_TurnsTheWebhookOffAfterTenFailedDeliveriesAndTellsAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, rec := newService(t, st, true)
		rc := newReceiver(t, 503)
		w, err := svc.Create(ctx, "Ada", rc.URL, []string{"ticket.created"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= DisableAfter; i++ {
			d := pending(t, st, w, int64(i), `{}`)
			if err := svc.Handle(ctx, job(d, MaxAttempts, true)); err == nil {
				t.Fatalf("delivery %d: the last attempt failed without an error", i)
			}
			if got := delivery(t, st, d.ID); got.State != domain.WebhookDeliveryFailed || got.ResponseStatus != 503 {
				t.Fatalf("delivery %d after its last attempt: %+v", i, got)
			}
			h := hook(t, st, w.ID)
			if h.Failures != i || h.Active != (i < DisableAfter) {
				t.Fatalf("after %d failed deliveries: failures %d, active %v", i, h.Failures, h.Active)
			}
		}
		h := hook(t, st, w.ID)
		if !strings.Contains(h.DisabledReason, "10 deliveries in a row failed") || !strings.Contains(h.DisabledReason, "503") {
			t.Errorf("disabled_reason = %q", h.DisabledReason)
		}
		notices := rec.of(domain.EventWebhookDisabled)
		if len(notices) != 1 || notices[0].Webhook == nil || notices[0].Webhook.ID != w.ID || notices[0].Webhook.Secret != "" ||
			!notices[0].AdminsOnly() || notices[0].Webhook.DisabledReason != h.DisabledReason {
			t.Fatalf("webhook.disabled events: %+v", notices)
		}
		if svc.Watches("ticket.created") {
			t.Error("Watches still sees the turned-off webhook")
		}

		// Deliveries still queued are closed without calling the receiver.
		before := len(rc.requests())
		d := pending(t, st, w, 99, `{}`)
		if err := svc.Handle(ctx, job(d, 1, false)); err != nil {
			t.Fatal(err)
		}
		if got := delivery(t, st, d.ID); got.State != domain.WebhookDeliveryFailed || !strings.Contains(got.Error, "turned off") {
			t.Errorf("a delivery queued for a turned-off webhook: %+v", got)
		}
		if len(rc.requests()) != before {
			t.Error("a turned-off webhook was called")
		}

		// Turned on again, it starts afresh; one success clears failures.
		on := true
		h, err = svc.Update(ctx, "Ada", w.ID, Change{Active: &on})
		if err != nil {
			t.Fatal(err)
		}
		if !h.Active || h.Failures != 0 || h.DisabledReason != "" {
			t.Fatalf("turned on again: %+v", h)
		}
		d = pending(t, st, w, 100, `{}`)
		svc.Handle(ctx, job(d, 1, true))
		if hook(t, st, w.ID).Failures != 1 {
			t.Fatal("a failed delivery was not counted")
		}
		rc.mu.Lock()
		rc.statuses = []int{200}
		rc.got = nil
		rc.mu.Unlock()
		d = pending(t, st, w, 101, `{}`)
		if err := svc.Handle(ctx, job(d, 1, false)); err != nil {
			t.Fatal(err)
		}
		if hook(t, st, w.ID).Failures != 0 {
			t.Fatal("a delivered event did not reset failures")
		}
	})
}

func TestDeliver_RefusesPrivateAddressesWhenItConnects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lax, _ := newService(t, st, true)
		strict, _ := newService(t, st, false)
		rc := newReceiver(t, 200)
		// Saved while private addresses were allowed, or through a name
		// that resolved elsewhere then: the connection is checked anyway.
		for i, url := range []string{rc.URL, strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)} {
			w, err := lax.Create(ctx, "Ada", url, []string{"ticket.created"})
			if err != nil {
				t.Fatal(err)
			}
			d := pending(t, st, w, int64(i), `{}`)
			if err := strict.Handle(ctx, job(d, 1, false)); err == nil {
				t.Fatalf("%s: delivered to a loopback address", url)
			}
			if got := delivery(t, st, d.ID); !strings.Contains(got.Error, ErrPrivateAddress.Error()) || got.ResponseStatus != 0 {
				t.Errorf("%s: delivery %+v, want refused as private", url, got)
			}
		}
		if n := len(rc.requests()); n != 0 {
			t.Fatalf("the receiver got %d requests", n)
		}
		if _, err := strict.Create(ctx, "Ada", rc.URL, []string{"ticket.created"}); !isCode(err, "private_address") {
			t.Fatalf("saving a loopback URL: %v, want private_address", err)
		}
	})
}

func isCode(err error, code string) bool {
	var de *domain.Error
	return errors.As(err, &de) && de.Code == code
}

func TestDeliver_FollowsNoRedirectAndKeepsTheStartOfTheAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st, true)
		target := newReceiver(t, 200)
		redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
		t.Cleanup(redirect.Close)
		w, err := svc.Create(ctx, "Ada", redirect.URL, []string{"ticket.created"})
		if err != nil {
			t.Fatal(err)
		}
		d := pending(t, st, w, 1, `{}`)
		if err := svc.Handle(ctx, job(d, 1, false)); err == nil {
			t.Fatal("a redirect counted as delivered")
		}
		if got := delivery(t, st, d.ID); got.ResponseStatus != http.StatusTemporaryRedirect || got.State != domain.WebhookDeliveryPending {
			t.Errorf("after a redirect: %+v", got)
		}
		if len(target.requests()) != 0 {
			t.Error("the redirect was followed")
		}

		chatty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("é", 3000)) // 6000 bytes
		}))
		t.Cleanup(chatty.Close)
		url := chatty.URL
		if _, err := svc.Update(ctx, "Ada", w.ID, Change{URL: &url}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Handle(ctx, job(d, 2, false)); err != nil {
			t.Fatal(err)
		}
		got := delivery(t, st, d.ID)
		if len(got.ResponseBody) < 2000 || len(got.ResponseBody) > 2048+3 || !strings.HasPrefix(got.ResponseBody, "éé") {
			t.Errorf("kept %d bytes of the answer, want its first 2 KB", len(got.ResponseBody))
		}
	})
}

func TestService_RefusesBadSubscriptionsAndKeepsWatchesCurrentOnEveryNode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		other, _ := newService(t, st, true) // another node
		svc, rec := newService(t, st, true)
		rec.next = other // the bus
		if other.Watches("ticket.created") {
			t.Fatal("Watches without webhooks")
		}
		for _, tt := range []struct {
			url    string
			events []string
			code   string
		}{
			{"https://8.8.8.8/x", nil, "invalid_events"},
			{"https://8.8.8.8/x", []string{"ticket.deleted"}, "unknown_event_type"},
			{"https://8.8.8.8/x", []string{"ticket.created", ""}, "unknown_event_type"},
			{"not a url", []string{"ticket.created"}, "invalid_url"},
		} {
			if _, err := svc.Create(ctx, "Ada", tt.url, tt.events); !isCode(err, tt.code) {
				t.Errorf("Create(%q, %q) = %v, want %s", tt.url, tt.events, err, tt.code)
			}
		}
		w, err := svc.Create(ctx, "Ada", "https://8.8.8.8/x", []string{"sla.breached", "ticket.created", "sla.breached"})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Events) != 2 || !strings.HasPrefix(w.Secret, "whsec_") || hook(t, st, w.ID).Secret != w.Secret {
			t.Fatalf("created %+v", w)
		}
		if !other.Watches("ticket.created") || !other.Watches("sla.breached") || other.Watches("message.sent") {
			t.Fatal("the other node's Watches missed the new webhook")
		}
		events := []string{"message.sent"}
		if _, err := svc.Update(ctx, "Ada", w.ID, Change{Events: &events}); err != nil {
			t.Fatal(err)
		}
		if other.Watches("ticket.created") || !other.Watches("message.sent") {
			t.Fatal("the other node's Watches missed the change")
		}
		off := false
		if _, err := svc.Update(ctx, "Ada", w.ID, Change{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if other.Watches("message.sent") {
			t.Fatal("Watches sees a webhook turned off")
		}
		if _, err := svc.Update(ctx, "Ada", w.ID+100, Change{Active: &off}); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("updating a missing webhook: %v", err)
		}
		if err := svc.Delete(ctx, "Ada", w.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, "Ada", w.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

func TestRedeliver_SendsThePayloadAgainWithAFreshSignature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var mu sync.Mutex
		clock := time.Unix(1_800_000_000, 0)
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		woken := 0
		svc := New(Config{Store: st, AllowPrivate: true, Now: now, Wake: func() { woken++ }})
		r := tasks.NewRunner(st, slog.New(slog.DiscardHandler))
		r.Handle(TaskKind, svc.Handle)
		rc := newReceiver(t, 200)
		w, err := svc.Create(ctx, "Ada", rc.URL, []string{"ticket.created"})
		if err != nil {
			t.Fatal(err)
		}
		first := pending(t, st, w, 3, `{"id":"3"}`)
		runTasks(t, st, r)

		mu.Lock()
		clock = clock.Add(time.Hour)
		mu.Unlock()
		again, err := svc.Redeliver(ctx, "Ada", first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID == first.ID || again.RedeliveryOf != first.ID || string(again.Payload) != `{"id":"3"}` || again.State != domain.WebhookDeliveryPending || woken != 1 {
			t.Fatalf("redelivery %+v (runner woken %d times)", again, woken)
		}
		if runs := runTasks(t, st, r); runs != 1 {
			t.Fatalf("the redelivery ran %d times", runs)
		}
		reqs := rc.requests()
		if len(reqs) != 2 || string(reqs[1].body) != `{"id":"3"}` || reqs[1].header.Get(HeaderDelivery) != strconv.FormatInt(again.ID, 10) {
			t.Fatalf("receiver got %d requests; the last %+v", len(reqs), reqs[len(reqs)-1])
		}
		if err := Verify(w.Secret, reqs[1].header.Get(HeaderSignature), reqs[1].body, now()); err != nil {
			t.Errorf("the redelivery's signature: %v", err)
		}
		if err := Verify(w.Secret, reqs[0].header.Get(HeaderSignature), reqs[0].body, now()); !errors.Is(err, ErrTimestamp) {
			t.Errorf("the first signature an hour later: %v, want ErrTimestamp", err)
		}
		if got := delivery(t, st, again.ID); got.State != domain.WebhookDeliveryDelivered {
			t.Errorf("redelivery after its run: %+v", got)
		}
		if got := delivery(t, st, first.ID); got.Attempts != 1 {
			t.Errorf("the first delivery changed: %+v", got)
		}

		// A redelivery is a new entry each time; a first delivery of the
		// same trigger is not.
		if _, err := svc.Redeliver(ctx, "Ada", first.ID); err != nil {
			t.Fatal(err)
		}
		dup := &domain.WebhookDelivery{WebhookID: w.ID, TriggerID: 3, EventType: "ticket.created", Payload: []byte(`{}`)}
		if added, err := st.AddWebhookDelivery(ctx, dup); err != nil || added {
			t.Fatalf("a second first delivery of trigger 3: added %v, %v", added, err)
		}
		log, err := st.WebhookDeliveries(ctx, w.ID, 0, 10)
		if err != nil || len(log) != 3 || log[0].RedeliveryOf != first.ID || log[2].ID != first.ID {
			t.Fatalf("delivery log %+v, %v", log, err)
		}
		if page, _ := st.WebhookDeliveries(ctx, w.ID, log[0].ID, 1); len(page) != 1 || page[0].ID != log[1].ID {
			t.Fatalf("the page before %d: %+v", log[0].ID, page)
		}

		off := false
		if _, err := svc.Update(ctx, "Ada", w.ID, Change{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Redeliver(ctx, "Ada", first.ID); !isCode(err, "webhook_disabled") {
			t.Errorf("redelivering to a turned-off webhook: %v", err)
		}
		if _, err := svc.Redeliver(ctx, "Ada", first.ID+1000); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("redelivering a missing delivery: %v", err)
		}
	})
}

func TestPrune_DropsFinishedDeliveriesPastTheLogWindowOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		later := time.Now().Add(KeepLog + time.Hour)
		svc := New(Config{Store: st, AllowPrivate: true, Now: func() time.Time { return later }})
		rc := newReceiver(t, 200)
		w, err := svc.Create(ctx, "Ada", rc.URL, []string{"ticket.created"})
		if err != nil {
			t.Fatal(err)
		}
		done := pending(t, st, w, 1, `{}`)
		if err := svc.Handle(ctx, job(done, 1, false)); err != nil {
			t.Fatal(err)
		}
		waiting := pending(t, st, w, 2, `{}`)
		if err := svc.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.WebhookDelivery(ctx, done.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("a delivered entry past the window: %v, want it gone", err)
		}
		if got := delivery(t, st, waiting.ID); got.State != domain.WebhookDeliveryPending {
			t.Errorf("a pending delivery was pruned: %+v", got)
		}
	})
}

func TestClip_ShortensWithoutSplittingACharacter(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefghij…"},
		{"aaaaaaaaaé", 10, "aaaaaaaaa…"}, // é would straddle byte 10
		{"ééééé", 5, "éé…"},
	} {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
