package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// The fake Twilio account the SMS channel signs in to.
const (
	fakeAccountSID = "AC0123456789abcdef0123456789abcdef"
	fakeAuthToken  = "fake-twilio-auth-token"
)

// smsProvider is a fake Twilio: it takes Messages.json posts with the
// account's basic auth and records each SMS it accepted. While down, it
// answers sends with 503 as Twilio does when it is unavailable (a failure
// Loket retries) and only counts them.
type smsProvider struct {
	*httptest.Server
	mu      sync.Mutex
	sent    []url.Values
	refused int
	down    bool
}

func newSMSProvider(t *testing.T) *smsProvider {
	f := &smsProvider{}
	account := "/2010-04-01/Accounts/" + fakeAccountSID
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+account+"/Messages.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.ParseForm() != nil || r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":21602,"message":"Message body and To are required.","status":400}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.down {
			f.refused++
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"code":20503,"message":"Service unavailable","status":503}`)
			return
		}
		f.sent = append(f.sent, r.PostForm)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","account_sid":%q,"status":"queued","to":%q,"from":%q,"body":%q,"num_segments":"1"}`,
			len(f.sent), fakeAccountSID, r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body"))
	})
	// The account, which a channel check signs in to.
	mux.HandleFunc("GET "+account+".json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"sid":%q,"friendly_name":"Loket end-to-end test","status":"active"}`, fakeAccountSID)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != fakeAccountSID || pass != fakeAuthToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":20003,"message":"Authentication Error - invalid username","status":401}`)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *smsProvider) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *smsProvider) counts() (sent, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent), f.refused
}

func (f *smsProvider) sends() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

// apiCall sends a JSON request with a bearer token and decodes a JSON
// answer into out (when not nil); it returns the status.
func apiCall(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, url, err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

var apiTokenLine = regexp.MustCompile(`lkt_[A-Za-z0-9_-]+`)

// createToken makes an API token with the CLI, as an operator would.
func createToken(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, err := run(t, env, "", append([]string{"token", "create"}, args...)...)
	if err != nil {
		t.Fatalf("loket token create %v: %v\n%s", args, err, out)
	}
	tok := apiTokenLine.FindString(out)
	if tok == "" {
		t.Fatalf("loket token create %v printed no token:\n%s", args, out)
	}
	return tok
}

type ruleRun struct {
	ID         int64    `json:"id"`
	ContactID  int64    `json:"contact_id"`
	Actions    []string `json:"actions"`
	Error      string   `json:"error"`
	FinishedAt int64    `json:"finished_at"`
}

type outbound struct {
	TicketID       int64  `json:"ticket_id"`
	Direction      string `json:"direction"`
	Text           string `json:"text"`
	ExternalID     string `json:"external_id"`
	DeliveryStatus string `json:"delivery_status"`
}

// outboundMessages lists the messages sent to a contact, on all of its
// tickets.
func outboundMessages(t *testing.T, base, token string, contactID int64) []outbound {
	t.Helper()
	var page struct {
		Tickets []struct {
			ID int64 `json:"id"`
		} `json:"tickets"`
	}
	if code := apiCall(t, "GET", fmt.Sprintf("%s/api/v1/tickets?contact_id=%d", base, contactID), token, nil, &page); code != http.StatusOK {
		t.Fatalf("GET the contact's tickets: %d", code)
	}
	var out []outbound
	for _, tk := range page.Tickets {
		var msgs struct {
			Messages []outbound `json:"messages"`
		}
		if code := apiCall(t, "GET", fmt.Sprintf("%s/api/v1/messages?ticket_id=%d", base, tk.ID), token, nil, &msgs); code != http.StatusOK {
			t.Fatalf("GET the messages of ticket %d: %d", tk.ID, code)
		}
		for _, m := range msgs.Messages {
			if m.Direction == "out" {
				out = append(out, m)
			}
		}
	}
	return out
}

type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// TestAutomation_OrderPlacedSendsOneSMSAcrossACrash is the promise
// end to end: a web shop posts order.placed and a fake SMS provider
// receives the delivery-date SMS exactly once, even when the event is
// posted twice and the process is killed midway: at once after the event
// was taken, after the rule ran and a send failed, or after the SMS went
// out.
func TestAutomation_OrderPlacedSendsOneSMSAcrossACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const (
		phone    = "+31612345678"
		wantBody = "Je bestelling A-1001 wordt bezorgd op 9 december 2026. Wijzigen kan hier: https://shop.example/o/A-1001"
	)
	event := map[string]any{
		"name":    "order.placed",
		"contact": map[string]any{"phone": phone, "language": "nl"},
		"data": map[string]any{"order": map[string]any{
			"number": "A-1001", "delivery_date": "2026-12-09", "change_url": "https://shop.example/o/A-1001"}},
		"idempotency_key": "order-A-1001",
	}
	// When the first process is killed. While it runs, the provider is down
	// in the first two cases, so that no SMS can have reached it when the
	// kill comes: a send whose answer a kill cuts off would be sent again,
	// and Twilio has no idempotency key to recognise it.
	type killAt int
	const (
		atOnce killAt = iota
		afterRefusedSend
		afterSent
	)
	modes := []struct {
		name string
		at   killAt
	}{
		{"kill at once", atOnce},
		{"kill after the rule ran and the send failed", afterRefusedSend},
		{"kill after the SMS went out", afterSent},
	}
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, mode := range modes {
			t.Run(string(dialect)+"/"+mode.name, func(t *testing.T) {
				fake := newSMSProvider(t)
				fake.setDown(mode.at != afterSent)
				data := t.TempDir()
				env := []string{"LOKET_DATA=" + data, "LOKET_ADMIN_PASSWORD=automation-test-password"}
				if dialect == store.Postgres {
					env = append(env, "LOKET_DATABASE_URL="+storetest.NewPostgresDatabase(t))
				}
				first := startServer(t, env, true)
				admin := createToken(t, env, "--name", "admin")
				shop := createToken(t, env, "--name", "shop", "--scope", "events")

				// The SMS channel, sending through the fake.
				var ch struct {
					ID   int64  `json:"id"`
					Kind string `json:"kind"`
				}
				code := apiCall(t, "POST", first.url+"/api/v1/channels", admin, map[string]any{
					"kind": "sms", "name": "SMS",
					"settings": map[string]any{"provider": "twilio", "from": "+3197010203040", "account_sid": fakeAccountSID,
						"api_base_url": fake.URL, "auth_token": fakeAuthToken},
				}, &ch)
				if code != http.StatusCreated || ch.ID == 0 {
					t.Fatalf("create the SMS channel: %d %+v", code, ch)
				}

				// The built-in order rule, sending at any hour.
				var rules []map[string]json.RawMessage
				if code := apiCall(t, "GET", first.url+"/api/v1/rules", admin, nil, &rules); code != http.StatusOK {
					t.Fatalf("GET /api/v1/rules: %d", code)
				}
				var rule map[string]json.RawMessage
				for _, r := range rules {
					if string(r["builtin"]) == `"order"` {
						rule = r
					}
				}
				if rule == nil {
					t.Fatalf("no built-in order rule among %d rules", len(rules))
				}
				var ruleID int64
				json.Unmarshal(rule["id"], &ruleID)
				var actions []map[string]any
				if err := json.Unmarshal(rule["actions"], &actions); err != nil || len(actions) != 1 || actions[0]["type"] != "send_template" {
					t.Fatalf("the order rule's actions: %s (%v)", rule["actions"], err)
				}
				actions[0]["send_hours"] = "00:00-24:00"
				put := map[string]any{"actions": actions}
				for _, k := range []string{"name", "description", "trigger", "event_name", "enabled", "position", "conditions"} {
					put[k] = rule[k]
				}
				var saved map[string]json.RawMessage
				if code := apiCall(t, "PUT", first.url+"/api/v1/rules/"+strconv.FormatInt(ruleID, 10), admin, put, &saved); code != http.StatusOK {
					t.Fatalf("PUT the order rule: %d %s", code, saved)
				}
				if !strings.Contains(string(saved["actions"]), `"send_hours":"00:00-24:00"`) || string(saved["enabled"]) != "true" ||
					string(saved["event_name"]) != `"order.placed"` {
					t.Fatalf("the saved order rule: %v", saved)
				}

				// What the shop's token may not do.
				if code := apiCall(t, "GET", first.url+"/api/v1/tickets", shop, nil, nil); code != http.StatusForbidden {
					t.Fatalf("the events token reads tickets: %d, want 403", code)
				}
				var refusal apiErrorBody
				code = apiCall(t, "POST", first.url+"/api/v1/events", shop, map[string]any{
					"name": "order.placed", "data": map[string]any{"order": map[string]any{"number": "A-1002"}}, "idempotency_key": "order-A-1002"}, &refusal)
				if code != http.StatusUnprocessableEntity || refusal.Error.Code != "no_contact" {
					t.Fatalf("an event without a contact: %d %+v, want 422 no_contact", code, refusal)
				}

				// The order, and the crash.
				var posted struct {
					Event struct {
						ID int64 `json:"id"`
					} `json:"event"`
					Duplicate bool `json:"duplicate"`
				}
				if code := apiCall(t, "POST", first.url+"/api/v1/events", shop, event, &posted); code != http.StatusAccepted || posted.Duplicate || posted.Event.ID == 0 {
					t.Fatalf("POST order.placed: %d %+v, want 202", code, posted)
				}
				runsURL := first.url + "/api/v1/rules/" + strconv.FormatInt(ruleID, 10) + "/runs"
				switch mode.at {
				case afterRefusedSend:
					eventually.True(t, "the provider refused a send", func() bool { _, refused := fake.counts(); return refused > 0 })
				case afterSent:
					eventually.True(t, "the SMS is marked sent", func() bool {
						var runs []ruleRun
						if apiCall(t, "GET", runsURL, admin, nil, &runs) != http.StatusOK || len(runs) == 0 {
							return false
						}
						out := outboundMessages(t, first.url, admin, runs[0].ContactID)
						return len(out) == 1 && out[0].DeliveryStatus == "sent"
					})
				}
				first.cmd.Process.Signal(syscall.SIGKILL)
				first.cmd.Wait()
				sent, refused := fake.counts()
				t.Logf("killed with %d SMS sent and %d refused", sent, refused)

				// The provider is back; the shop posts the order again.
				fake.setDown(false)
				second := startServer(t, env, false)
				runsURL = second.url + "/api/v1/rules/" + strconv.FormatInt(ruleID, 10) + "/runs"
				var again struct {
					Event struct {
						ID int64 `json:"id"`
					} `json:"event"`
					Duplicate bool `json:"duplicate"`
				}
				if code := apiCall(t, "POST", second.url+"/api/v1/events", shop, event, &again); code != http.StatusOK || !again.Duplicate || again.Event.ID != posted.Event.ID {
					t.Fatalf("POST order.placed again: %d %+v, want 200, duplicate, event %d", code, again, posted.Event.ID)
				}

				eventually.True(t, "the provider has an SMS", func() bool { sent, _ := fake.counts(); return sent > 0 })
				var runs []ruleRun
				eventually.True(t, "the rule's run is finished", func() bool {
					runs = nil
					return apiCall(t, "GET", runsURL, admin, nil, &runs) == http.StatusOK && len(runs) > 0 && runs[0].FinishedAt != 0
				})
				if len(runs) != 1 || runs[0].Error != "" || runs[0].ContactID == 0 || !slices.Contains(runs[0].Actions, "order-delivery on SMS") {
					t.Fatalf("the order rule's runs: %+v, want one that sent order-delivery on SMS", runs)
				}
				// The SMS shows once on the contact's one ticket, sent.
				var out []outbound
				eventually.True(t, "the SMS is marked sent", func() bool {
					out = outboundMessages(t, second.url, admin, runs[0].ContactID)
					return len(out) > 0 && out[0].DeliveryStatus == "sent"
				})
				if len(out) != 1 || out[0].Text != wantBody || out[0].ExternalID == "" {
					t.Fatalf("the contact's outbound messages: %+v, want one SMS with the provider's id", out)
				}
				second.cmd.Process.Signal(syscall.SIGTERM)
				if err := second.cmd.Wait(); err != nil {
					t.Fatalf("graceful shutdown: %v", err)
				}

				got := fake.sends()
				if len(got) != 1 {
					t.Fatalf("the provider received %d SMS, want 1: %v", len(got), got)
				}
				if to, body, from := got[0].Get("To"), got[0].Get("Body"), got[0].Get("From"); to != phone || body != wantBody || from != "+3197010203040" {
					t.Fatalf("the SMS went from %q to %q saying %q;\nwant from +3197010203040 to %s saying %q", from, to, body, phone, wantBody)
				}
			})
		}
	}
}
