package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

const adminPassword = "correct horse battery"

// env is a running API server on a fresh database, with an admin, an
// admin API token and an API channel in team Support.
type env struct {
	t       *testing.T
	st      *store.Store
	srv     *httptest.Server
	token   string // admin API token
	inbound string // the channel's inbound token
	channel int64
	team    int64
	blobs   *failingBlobs
	desk    *desk.Desk
	// listening is closed once the node hears other nodes (PostgreSQL).
	listening <-chan struct{}
	hub       *realtime.Hub
}

// waitListening waits until the node hears events other nodes publish.
func (e *env) waitListening() {
	e.t.Helper()
	select {
	case <-e.listening:
	case <-time.After(30 * time.Second):
		e.t.Fatal("the node never started listening to the others")
	}
}

// failingBlobs is the real directory store, made to fail on demand to
// exercise the dead-letter path.
type failingBlobs struct {
	*blob.Dir
	fail bool
}

func (f *failingBlobs) Put(ctx context.Context, data []byte) (string, error) {
	if f.fail {
		return "", errors.New("disk on fire")
	}
	return f.Dir.Put(ctx, data)
}

func newEnv(t *testing.T, st *store.Store, opts ...func(*httpapi.Config)) *env {
	t.Helper()
	return newNode(t, st, true, opts...)
}

// newNode starts a server on st; with setup it also creates the admin,
// token, team and channel (the first node of a database does that).
func newNode(t *testing.T, st *store.Store, setup bool, opts ...func(*httpapi.Config)) *env {
	t.Helper()
	ctx := context.Background()
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, blobs: &failingBlobs{Dir: dir}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := realtime.NewHub(st, log)
	e.hub = hub
	var events domain.Publisher = hub
	if st.Dialect() == store.Postgres {
		bus := realtime.NewPGBus(hub, st, st.URL(), log)
		hub.SetPublisher(bus)
		e.listening = bus.Listening()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { bus.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		events = bus
	}
	channels := channel.NewRegistry(api.New(), email.New(st))
	d := desk.New(desk.Config{Store: st, Blobs: e.blobs, Channels: channels, Events: events, Region: "NL", Log: log})
	t.Cleanup(d.Close)
	e.desk = d
	router := dispatch.New(dispatch.Config{Store: st, Desk: d, Events: events, Log: log, Tick: 100 * time.Millisecond})
	hub.Listen(router)
	routerCtx, stopRouter := context.WithCancel(context.Background())
	routerDone := make(chan struct{})
	go func() { router.Run(routerCtx); close(routerDone) }()
	t.Cleanup(func() { stopRouter(); <-routerDone })
	cfg := httpapi.Config{Desk: d, Store: st, Blobs: e.blobs, Hub: hub, Channels: channels, Log: log, Router: router}
	for _, o := range opts {
		o(&cfg)
	}
	s := httpapi.New(cfg)
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	t.Cleanup(hub.CloseAll)
	if !setup {
		return e
	}

	hash, err := secret.HashPassword(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAgent(ctx, &domain.Agent{Email: "admin@example.com", Name: "Ada", Role: domain.RoleAdmin}, hash); err != nil {
		t.Fatal(err)
	}
	e.token = secret.Token("lkt")
	if err := st.CreateAPIToken(ctx, &store.APIToken{Name: "tests", Role: domain.RoleAdmin}, secret.Hash(e.token)); err != nil {
		t.Fatal(err)
	}
	var team domain.Team
	e.do("POST", "/api/v1/teams", e.token, `{"name":"Support"}`, 201, &team)
	e.team = team.ID
	var ch struct {
		ID           int64  `json:"id"`
		InboundToken string `json:"inbound_token"`
	}
	e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"api","name":"Shop","team_id":%d}`, team.ID), 201, &ch)
	e.channel, e.inbound = ch.ID, ch.InboundToken
	return e
}

// do sends a request with a bearer token (empty: none) and checks the
// status; out receives the JSON answer when not nil.
func (e *env) do(method, path, token, body string, want int, out any) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	return e.send(http.DefaultClient, req, want, out)
}

func (e *env) send(c *http.Client, req *http.Request, want int, out any) *http.Response {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, b, err)
		}
	}
	return resp
}

type inboundAnswer struct {
	Ticket  struct{ ID, Number int64 } `json:"ticket"`
	Message struct{ ID int64 }         `json:"message"`
	Contact struct {
		ID     int64
		Number string
	} `json:"contact"`
	Duplicate  bool  `json:"duplicate"`
	DeadLetter int64 `json:"dead_letter"`
}

func (e *env) post(body string, want int) inboundAnswer {
	e.t.Helper()
	var a inboundAnswer
	e.do("POST", fmt.Sprintf("/api/v1/channels/%d/inbound", e.channel), e.inbound, body, want, &a)
	return a
}

func errCode(t *testing.T, resp *http.Response, body []byte) string {
	var a struct{ Error struct{ Code string } }
	json.Unmarshal(body, &a)
	return a.Error.Code
}

func TestInbound_CreatesThenDeduplicatesAndRecognisesTheCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		first := e.post(`{"external_id":"o-1","from":{"email":"Jan@Example.nl","name":"Jan"},"text":"Where is my order?"}`, 201)
		dup := e.post(`{"external_id":"o-1","from":{"email":"jan@example.nl"},"text":"Where is my order?"}`, 200)
		if !dup.Duplicate || dup.Message.ID != first.Message.ID || dup.Ticket != first.Ticket {
			t.Fatalf("duplicate answer %+v, first %+v", dup, first)
		}
		byPhone := e.post(`{"external_id":"o-2","from":{"phone":"06 12345678","email":"JAN@example.nl"},"text":"Call me"}`, 201)
		again := e.post(`{"external_id":"o-3","from":{"phone":"+31 6 1234 5678"},"text":"Hello?"}`, 201)
		if byPhone.Contact != first.Contact || again.Contact != first.Contact || again.Ticket != first.Ticket {
			t.Fatalf("customer not recognised: %+v %+v %+v", first, byPhone, again)
		}
		if first.Ticket.Number < 10001 || !strings.HasPrefix(first.Contact.Number, "C-") {
			t.Fatalf("human numbers: %+v", first)
		}
	})
}

func TestInbound_RejectsBadRequestsWithClearCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		path := fmt.Sprintf("/api/v1/channels/%d/inbound", e.channel)
		huge := `{"external_id":"x","from":{"email":"a@b.nl"},"text":"` + strings.Repeat("a", httpapi.MaxInboundBytes) + `"}`
		tests := []struct {
			name, token, body string
			status            int
			code              string
		}{
			{"no token", "", `{}`, 401, "unauthenticated"},
			{"wrong token", "lki_nope", `{}`, 401, "unauthenticated"},
			{"an API token", e.token, `{"external_id":"1","from":{"email":"a@b.nl"},"text":"x"}`, 401, "unauthenticated"},
			{"unknown field", e.inbound, `{"external_id":"1","from":{"email":"a@b.nl"},"text":"x","colour":"red"}`, 400, "invalid_json"},
			{"not json", e.inbound, `hello`, 400, "invalid_json"},
			{"no sender", e.inbound, `{"external_id":"1","text":"x"}`, 422, "missing_sender"},
			{"bad phone", e.inbound, `{"external_id":"1","from":{"phone":"call me"},"text":"x"}`, 422, "invalid_phone"},
			{"bad email", e.inbound, `{"external_id":"1","from":{"email":"nope"},"text":"x"}`, 422, "invalid_email"},
			{"empty message", e.inbound, `{"external_id":"1","from":{"email":"a@b.nl"}}`, 422, "empty_message"},
			{"bad attachment", e.inbound, `{"external_id":"1","from":{"email":"a@b.nl"},"attachments":[{"filename":"a","data":"%%%"}]}`, 422, "invalid_attachment"},
			{"oversized", e.inbound, huge, 413, "too_large"},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || errCode(t, resp, b) != tt.code {
				t.Errorf("%s: %d %s, want %d %s", tt.name, resp.StatusCode, b, tt.status, tt.code)
			}
		}
		var page store.TicketPage
		e.do("GET", "/api/v1/tickets", e.token, "", 200, &page)
		if len(page.Tickets) != 0 {
			t.Fatalf("rejected requests created %d tickets", len(page.Tickets))
		}
	})
}

func TestInbound_FailureKeepsPayloadAsDeadLetterUntilRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.blobs.fail = true
		att := base64.StdEncoding.EncodeToString([]byte("invoice"))
		a := e.post(`{"external_id":"d-1","from":{"email":"jan@example.nl"},"text":"see attached","attachments":[{"filename":"invoice.txt","content_type":"text/plain","data":"`+att+`"}]}`, 202)
		if a.DeadLetter == 0 {
			t.Fatal("no dead letter id in a 202 answer")
		}
		var list struct {
			DeadLetters []struct {
				ID      int64
				Error   string
				Payload string
			} `json:"dead_letters"`
		}
		e.do("GET", "/api/v1/dead-letters", e.token, "", 200, &list)
		if len(list.DeadLetters) != 1 || !strings.Contains(list.DeadLetters[0].Error, "disk on fire") || !strings.Contains(list.DeadLetters[0].Payload, "d-1") {
			t.Fatalf("dead letters: %+v", list)
		}
		e.do("POST", fmt.Sprintf("/api/v1/dead-letters/%d/retry", a.DeadLetter), e.token, "", 409, nil)
		e.blobs.fail = false
		e.do("POST", fmt.Sprintf("/api/v1/dead-letters/%d/retry", a.DeadLetter), e.token, "", 200, nil)
		e.do("GET", "/api/v1/dead-letters", e.token, "", 200, &list)
		if len(list.DeadLetters) != 0 {
			t.Fatalf("resolved dead letter still listed: %+v", list)
		}
		var page store.TicketPage
		e.do("GET", "/api/v1/tickets?q=attached", e.token, "", 200, &page)
		if len(page.Tickets) != 1 {
			t.Fatalf("retried message not found: %d tickets", len(page.Tickets))
		}
	})
}

// login signs in through the API and returns a client holding the cookie.
func (e *env) login(email, password string, want int) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/session", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
	req.Header.Set("Content-Type", "application/json")
	resp := e.send(c, req, want, nil)
	if want == 200 {
		ck := resp.Cookies()
		if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode {
			e.t.Fatalf("session cookie %+v", ck)
		}
	}
	return c
}

func TestSession_LoginCSRFAndLogout(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	e.login("admin@example.com", "wrong password!", 401)
	c := e.login("ADMIN@example.com", adminPassword, 200)

	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/session", nil)
	var me struct{ Agent domain.Agent }
	e.send(c, req, 200, &me)
	if me.Agent.Email != "admin@example.com" {
		t.Fatalf("me: %+v", me)
	}
	// A write from another site riding on the cookie is refused.
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/teams", strings.NewReader(`{"name":"Evil"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	e.send(c, req, 403, nil)
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/v1/teams", strings.NewReader(`{"name":"Billing"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	e.send(c, req, 201, nil)

	req, _ = http.NewRequest("DELETE", e.srv.URL+"/api/v1/session", nil)
	e.send(c, req, 204, nil)
	req, _ = http.NewRequest("GET", e.srv.URL+"/api/v1/session", nil)
	e.send(c, req, 401, nil)
}

func TestSession_LoginIsRateLimitedPerAccount(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite), frozenClock)
	for range 5 {
		e.login("admin@example.com", "wrong password!", 401)
	}
	e.login("admin@example.com", adminPassword, 429)
}

func TestRoles_AgentSeesOnlyOwnTeamsTickets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var other domain.Team
		e.do("POST", "/api/v1/teams", e.token, `{"name":"Complaints"}`, 201, &other)
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1","team_ids":[%d]}`, other.ID), 201, nil)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"help"}`, 201)
		bo := e.login("bo@example.com", "bo-password-1", 200)

		get := func(path string, want int) {
			req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
			e.send(bo, req, want, nil)
		}
		get(fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), 404)
		get(fmt.Sprintf("/api/v1/tickets/by-number/%d", a.Ticket.Number), 404)
		get("/api/v1/dead-letters", 403)
		var page store.TicketPage
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/tickets", nil)
		e.send(bo, req, 200, &page)
		if len(page.Tickets) != 0 {
			t.Fatalf("agent sees %d tickets of another team", len(page.Tickets))
		}
		// Assigned to Bo, the ticket becomes visible.
		var agents struct{ Agents []domain.Agent }
		e.do("GET", "/api/v1/agents", e.token, "", 200, &agents)
		var boID int64
		for _, ag := range agents.Agents {
			if ag.Email == "bo@example.com" {
				boID = ag.ID
			}
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, fmt.Sprintf(`{"assignee_id":%d}`, boID), 200, nil)
		get(fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), 200)
	})
}

func TestTickets_ReplyNoteStatusAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"My parcel is late"}`, 201)
		e.post(`{"external_id":"2","from":{"email":"piet@example.nl"},"text":"Invoice question"}`, 201)
		tp := fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID)

		var reply domain.Message
		e.do("POST", tp+"/messages", e.token, `{"text":"It ships today","html":"<p>It ships <b>today</b><script>x()</script></p>"}`, 201, &reply)
		if reply.DeliveryStatus != domain.DeliveryQueued || strings.Contains(reply.HTML, "script") {
			t.Fatalf("reply: %+v", reply)
		}
		e.do("POST", tp+"/messages", e.token, `{"text":"customer is VIP","note":true}`, 201, nil)
		e.do("PATCH", tp, e.token, `{"status":"closed"}`, 422, nil)
		e.do("PATCH", tp, e.token, `{"status":"solved","priority":"high","tags":["Shipping"]}`, 200, nil)
		e.do("PATCH", tp, e.token, `{"status":"sleeping"}`, 422, nil)
		e.do("PATCH", tp, e.token, `{"unknown":1}`, 400, nil)

		var detail struct {
			domain.Ticket
			Contact  domain.Contact
			Messages []domain.Message
		}
		e.do("GET", tp, e.token, "", 200, &detail)
		if detail.Status != domain.StatusSolved || detail.Priority != domain.PriorityHigh || detail.FirstResponseAt == 0 || detail.Contact.Number == "" {
			t.Fatalf("ticket: %+v", detail.Ticket)
		}
		kinds := ""
		for _, m := range detail.Messages {
			kinds += string(m.Kind) + " "
		}
		if kinds != "message message note event " {
			t.Fatalf("timeline kinds %q", kinds)
		}
		tests := []struct {
			query string
			want  int
		}{
			{"status=solved", 1},
			{"status=new,open", 1},
			{"tag=shipping", 1},
			{"priority=high", 1},
			{"q=parcel", 1},
			{"q=invoice", 1},
			{"q=nothing-like-this", 0},
			{"assignee_id=none", 2},
			{fmt.Sprintf("team_id=%d", e.team), 2},
		}
		for _, tt := range tests {
			var page store.TicketPage
			e.do("GET", "/api/v1/tickets?"+tt.query, e.token, "", 200, &page)
			if len(page.Tickets) != tt.want {
				t.Errorf("?%s: %d tickets, want %d", tt.query, len(page.Tickets), tt.want)
			}
		}
		e.do("GET", "/api/v1/tickets?status=bogus", e.token, "", 400, nil)
		e.do("GET", "/api/v1/tickets?cursor=garbage", e.token, "", 400, nil)
		e.do("GET", fmt.Sprintf("/api/v1/tickets/by-number/%d", a.Ticket.Number), e.token, "", 200, nil)
		e.do("GET", "/api/v1/tickets/999999", e.token, "", 404, nil)
	})
}

func TestTickets_CursorPagesThroughEveryTicketOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		for i := range 7 {
			e.post(fmt.Sprintf(`{"external_id":"%d","from":{"email":"c%d@example.nl"},"text":"hi"}`, i, i), 201)
		}
		seen := map[int64]bool{}
		cursor := ""
		for range 10 {
			var page store.TicketPage
			e.do("GET", "/api/v1/tickets?limit=3&cursor="+cursor, e.token, "", 200, &page)
			for _, tk := range page.Tickets {
				if seen[tk.ID] {
					t.Fatalf("ticket %d on two pages", tk.ID)
				}
				seen[tk.ID] = true
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 7 {
			t.Fatalf("paged through %d tickets, want 7", len(seen))
		}
	})
}

func TestContacts_SearchByPhoneInAnyFormatAndMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl","name":"Jan Jansen"},"text":"by mail"}`, 201)
		b := e.post(`{"external_id":"2","from":{"phone":"0612345678"},"text":"by sms"}`, 201)

		var found struct {
			Exact struct {
				Kind string
				ID   int64
			}
			Tickets  []domain.Ticket
			Contacts []domain.Contact
		}
		e.do("GET", "/api/v1/search?q=%2B31%206%201234%205678", e.token, "", 200, &found)
		if found.Exact.Kind != "contact" || found.Exact.ID != b.Contact.ID || len(found.Tickets) != 1 {
			t.Fatalf("search by phone: %+v", found)
		}
		e.do("GET", fmt.Sprintf("/api/v1/search?q=%%23%d", a.Ticket.Number), e.token, "", 200, &found)
		if found.Exact.Kind != "ticket" || found.Exact.ID != a.Ticket.ID {
			t.Fatalf("search by ticket number: %+v", found.Exact)
		}
		e.do("GET", "/api/v1/search?q="+a.Contact.Number, e.token, "", 200, &found)
		if found.Exact.ID != a.Contact.ID {
			t.Fatalf("search by customer number: %+v", found.Exact)
		}

		var merged struct {
			domain.Contact
			Tickets []domain.Ticket
		}
		e.do("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", a.Contact.ID), e.token, fmt.Sprintf(`{"contact_id":%d}`, b.Contact.ID), 200, &merged)
		if len(merged.Identities) != 2 || len(merged.Tickets) != 2 {
			t.Fatalf("after merge: %+v", merged)
		}
		e.do("GET", "/api/v1/contacts/by-number/"+b.Contact.Number, e.token, "", 200, &merged)
		if merged.ID != a.Contact.ID {
			t.Fatalf("old number leads to %d", merged.ID)
		}
		var list struct{ Contacts []domain.Contact }
		e.do("GET", "/api/v1/contacts?q=jansen", e.token, "", 200, &list)
		if len(list.Contacts) != 1 {
			t.Fatalf("contacts?q=jansen: %d", len(list.Contacts))
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", a.Contact.ID), e.token, `{"number":"SHOP-42","verified":true,"attributes":{"tier":"gold"}}`, 200, nil)
		e.do("GET", "/api/v1/contacts/by-number/SHOP-42", e.token, "", 200, nil)
		e.do("PATCH", fmt.Sprintf("/api/v1/contacts/%d", a.Contact.ID), e.token, `{"attributes":[1,2]}`, 422, nil)
	})
}

func TestChannels_SecretsAreSealedAndNeverReturned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var ch map[string]any
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"api","name":"ERP","settings":{"webhook_url":"http://127.0.0.1:9/hook","secret":"0123456789abcdef-very-secret"}}`, 201, &ch)
		raw, _ := json.Marshal(ch)
		if strings.Contains(string(raw), "very-secret") || !strings.Contains(string(raw), `"secrets_set":["secret"]`) {
			t.Fatalf("channel answer leaks or hides wrongly: %s", raw)
		}
		id := int64(ch["id"].(float64))
		e.do("GET", fmt.Sprintf("/api/v1/channels/%d", id), e.token, "", 200, &ch)
		raw, _ = json.Marshal(ch)
		if strings.Contains(string(raw), "very-secret") {
			t.Fatalf("GET leaks the secret: %s", raw)
		}
		c, err := st.Channel(context.Background(), id)
		if err != nil || c.Secrets["secret"] != "0123456789abcdef-very-secret" {
			t.Fatalf("secret not kept: %v %v", c, err)
		}
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"api","name":"ERP","settings":{"webhook_url":"ftp://x"}}`, 422, nil)
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"fax","name":"Fax"}`, 422, nil)
		// Updating other settings keeps the secret.
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", id), e.token, `{"settings":{"webhook_url":"http://127.0.0.1:9/other"}}`, 200, nil)
		c, _ = st.Channel(context.Background(), id)
		if c.Secrets["secret"] == "" {
			t.Fatal("secret lost on update")
		}
	})
}

func TestAttachments_DownloadWithSafeHeaders(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	html := base64.StdEncoding.EncodeToString([]byte("<script>alert(1)</script>"))
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake"))
	a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"files","attachments":[
		{"filename":"evil.html","content_type":"text/html","data":"`+html+`"},
		{"filename":"photo.png","content_type":"image/png","data":"`+png+`"},
		{"filename":"disguised.png","content_type":"image/png","data":"`+html+`"},
		{"filename":"notes.txt","content_type":"text/plain","data":"`+base64.StdEncoding.EncodeToString([]byte("plain words"))+`"}]}`, 201)
	var detail struct{ Messages []domain.Message }
	e.do("GET", fmt.Sprintf("/api/v1/tickets/%d", a.Ticket.ID), e.token, "", 200, &detail)
	atts := detail.Messages[0].Attachments
	if len(atts) != 4 {
		t.Fatalf("attachments: %+v", atts)
	}
	tests := []struct {
		id                 int64
		ctype, disposition string
	}{
		{atts[0].ID, "application/octet-stream", "attachment; filename=evil.html"},
		{atts[1].ID, "image/png", "inline; filename=photo.png"},
		// A script sent as a picture downloads, whatever it claims.
		{atts[2].ID, "application/octet-stream", "attachment; filename=disguised.png"},
		{atts[3].ID, "text/plain; charset=utf-8", "inline; filename=notes.txt"},
	}
	for _, tt := range tests {
		resp := e.do("GET", fmt.Sprintf("/api/v1/attachments/%d", tt.id), e.token, "", 200, nil)
		h := resp.Header
		if h.Get("Content-Type") != tt.ctype || h.Get("Content-Disposition") != tt.disposition ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("attachment %d headers: %v", tt.id, h)
		}
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	var h map[string]string
	e.do("GET", "/healthz", "", "", 200, &h)
	if h["status"] != "ok" {
		t.Fatalf("health: %v", h)
	}
	e.do("GET", "/api/v1/nothing", e.token, "", 404, nil)
	e.do("GET", "/api/v1/tickets", "", "", 401, nil)
	e.do("GET", "/api/v1/tickets", "lkt_wrong", "", 401, nil)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/teams", bytes.NewReader([]byte(`{"name":`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	e.send(http.DefaultClient, req, 400, nil)
}
