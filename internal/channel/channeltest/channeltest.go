// Package channeltest runs a whole Loket (store, desk, outbox worker,
// realtime hub and HTTP API) around channel adapters, so that an adapter's
// tests drive it end to end as a provider and an agent would: post the
// provider's webhook, read the ticket through the API, reply and watch the
// outbox deliver to a local fake of the provider.
package channeltest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"loket.dev/loket/internal/automation"
	"loket.dev/loket/internal/tasks"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// Env is a running Loket with an admin API token and a team.
type Env struct {
	T     testing.TB
	Store *store.Store
	Desk  *desk.Desk
	Hub   *realtime.Hub
	// URL is the server's address; Token an admin API token.
	URL   string
	Token string
	Team  int64
	// Events records every committed event, in order.
	Events *Recorder
	// Rules runs automation rules on the desk's triggers.
	Rules *automation.Engine
}

// Options change an Env before it starts.
type Options struct {
	// Now is the desk's clock in Unix milliseconds; nil: the real one.
	Now func() int64
	// Region is the default phone region; "NL" when empty.
	Region string
	// Events, when set, also hears every event the desk publishes, such
	// as a benchmark waiting for one.
	Events domain.Publisher
}

// Start runs Loket on st with the adapters registered, until the test
// ends. Adapters that need the desk are made by build, which gets it
// before the server starts.
func Start(t testing.TB, st *store.Store, opts Options, build func(d *desk.Desk) []channel.Adapter) *Env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if opts.Region == "" {
		opts.Region = "NL"
	}
	e := &Env{T: t, Store: st, Events: &Recorder{}}
	e.Hub = realtime.NewHub(st, log)
	channels := channel.NewRegistry()
	runner := tasks.NewRunner(st, log)
	e.Rules = automation.New(automation.Config{Store: st, Channels: channels, Log: log, TasksAdded: runner.Wake})
	publishers := domain.Publishers{e.Hub, e.Events}
	if opts.Events != nil {
		publishers = append(publishers, opts.Events)
	}
	d := desk.New(desk.Config{Store: st, Blobs: dir, Channels: channels, Events: publishers,
		Region: opts.Region, Log: log, Now: opts.Now, Watcher: e.Rules, TasksAdded: runner.Wake})
	t.Cleanup(d.Close)
	e.Desk = d
	e.Rules.Attach(d)
	runner.Handle(desk.TaskTrigger, e.Rules.HandleTrigger)
	runner.Handle(automation.TaskRuleWebhook, e.Rules.CallWebhook)
	runner.Handle(automation.TaskCampaign, e.Rules.SendCampaign)
	for _, a := range build(d) {
		channels.Register(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(outbox.NewWorker(st, d.Deliver, d.Queued(), log).Run)
	run(runner.Worker().Run)
	for _, a := range channels.Adapters() {
		if l, ok := a.(domain.Publisher); ok {
			e.Hub.Listen(l)
		}
		if r, ok := a.(channel.Runner); ok {
			run(r.Run)
		}
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Desk: d, Store: st, Blobs: dir, Hub: e.Hub, Channels: channels, Log: log,
		Automation: e.Rules}).Handler())
	t.Cleanup(func() { srv.Close(); cancel(); wg.Wait(); e.Hub.CloseAll() })
	e.URL = srv.URL

	e.Token = secret.Token("lkt")
	if err := st.CreateAPIToken(context.Background(), &store.APIToken{Name: "tests", Role: domain.RoleAdmin}, secret.Hash(e.Token)); err != nil {
		t.Fatal(err)
	}
	var team domain.Team
	e.Do("POST", "/api/v1/teams", `{"name":"Support"}`, 201, &team)
	e.Team = team.ID
	return e
}

// Do calls the API as the admin and checks the status; out receives the
// JSON answer when not nil. It returns the answer's body.
func (e *Env) Do(method, path, body string, want int, out any) []byte {
	e.T.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.Check(req, want, out)
}

// Check sends req and checks the status; out receives the JSON answer when
// not nil. It returns the answer's body.
func (e *Env) Check(req *http.Request, want int, out any) []byte {
	e.T.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.T.Fatalf("%s %s: status %d, want %d; body %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.T.Fatalf("%s %s: decode %s: %v", req.Method, req.URL.Path, b, err)
		}
	}
	return b
}

// Channel is a channel as the API shows it.
type Channel struct {
	ID           int64                `json:"id"`
	Kind         string               `json:"kind"`
	Settings     json.RawMessage      `json:"settings"`
	WebhookURL   string               `json:"webhook_url"`
	Capabilities channel.Capabilities `json:"capabilities"`
}

// CreateChannel creates a channel of kind in the team with settings (a
// JSON object, secrets included) through the API.
func (e *Env) CreateChannel(kind, settings string) Channel {
	e.T.Helper()
	var ch Channel
	e.Do("POST", "/api/v1/channels", fmt.Sprintf(`{"kind":%q,"name":"Test %s","team_id":%d,"settings":%s}`, kind, kind, e.Team, settings), 201, &ch)
	return ch
}

// Post sends a provider's request to an adapter route of a channel, such
// as "webhook", and returns the status and body.
func (e *Env) Post(kind string, channelID int64, path, contentType string, body []byte, header http.Header) (int, []byte) {
	e.T.Helper()
	req, err := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/%s/%d/%s", e.URL, kind, channelID, path), bytes.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Wait polls cond until it holds (eventually.True).
func (e *Env) Wait(what string, cond func() bool) {
	e.T.Helper()
	eventually.True(e.T, what, cond)
}

// Tickets lists the tickets the API shows, newest first.
func (e *Env) Tickets() []Ticket {
	e.T.Helper()
	var page struct {
		Tickets []Ticket `json:"tickets"`
	}
	e.Do("GET", "/api/v1/tickets", "", 200, &page)
	return page.Tickets
}

// Ticket is a ticket as the API lists it.
type Ticket struct {
	ID        int64 `json:"id"`
	Number    int64 `json:"number"`
	ContactID int64 `json:"contact_id"`
	ChannelID int64 `json:"channel_id"`
}

// Messages returns a ticket's timeline through the API.
func (e *Env) Messages(ticketID int64) []domain.Message {
	e.T.Helper()
	var detail struct {
		Messages []domain.Message `json:"messages"`
	}
	e.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", ticketID), "", 200, &detail)
	return detail.Messages
}

// Contact returns a contact through the API.
func (e *Env) Contact(id int64) domain.Contact {
	e.T.Helper()
	var c domain.Contact
	e.Do("GET", fmt.Sprintf("/api/v1/contacts/%d", id), "", 200, &c)
	return c
}

// Reply answers a ticket as the admin through the API (body is the JSON
// of POST /tickets/{id}/messages) and returns the stored message.
func (e *Env) Reply(ticketID int64, body string, want int) domain.Message {
	e.T.Helper()
	var m domain.Message
	e.Do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticketID), body, want, &m)
	return m
}

// Message reads one message from the store.
func (e *Env) Message(id int64) *domain.Message {
	e.T.Helper()
	m, err := e.Store.Message(context.Background(), id)
	if err != nil {
		e.T.Fatal(err)
	}
	return m
}

// Recorder is a domain.Publisher that keeps every event.
type Recorder struct {
	mu     sync.Mutex
	events []domain.Event
}

// Publish keeps the events.
func (r *Recorder) Publish(evs ...domain.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, evs...)
}

// Of returns the recorded events of a type.
func (r *Recorder) Of(typ string) []domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.Event
	for _, ev := range r.events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}
