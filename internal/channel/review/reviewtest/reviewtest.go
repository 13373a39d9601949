// Package reviewtest runs a whole Loket around one review site's adapter,
// with the core's poll runner, so that a site's tests follow a review from
// the site's (fake) API to a public ticket and a reply back, as agents
// would through the API.
package reviewtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/poll"
	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Flow is a running Loket with one channel of the adapter's kind, polled
// by the core's runner.
type Flow struct {
	*channeltest.Env
	Channel channeltest.Channel
}

// Start runs Loket on st with a, creates a channel with settings (secrets
// included) and starts polling it; the first poll runs at once.
func Start(t testing.TB, st *store.Store, a *review.Adapter, settings string) *Flow {
	e := channeltest.Start(t, st, channeltest.Options{}, func(*desk.Desk) []channel.Adapter { return []channel.Adapter{a} })
	f := &Flow{Env: e}
	f.Channel = e.CreateChannel(a.Kind(), settings)
	r := poll.New(poll.Config{Kind: a.Kind(), Poller: a, Store: st, Ingest: e.Desk.IngestPayload, Report: e.Desk.ReportProvider})
	e.Hub.Listen(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// PollNow saves the channel's settings (secrets kept), which makes the
// runner poll at once when they changed.
func (f *Flow) PollNow(settings string) {
	f.T.Helper()
	f.Do("PATCH", fmt.Sprintf("/api/v1/channels/%d", f.Channel.ID), fmt.Sprintf(`{"settings":%s}`, settings), 200, nil)
}

// Detail is a ticket with its timeline, as the API shows it.
type Detail struct {
	domain.Ticket
	Messages []domain.Message `json:"messages"`
}

// Ticket reads a ticket through the API.
func (f *Flow) Ticket(id int64) Detail {
	f.T.Helper()
	var d Detail
	f.Do("GET", fmt.Sprintf("/api/v1/tickets/%d", id), "", 200, &d)
	return d
}

// WaitTickets waits until the API lists n tickets and returns them.
func (f *Flow) WaitTickets(n int) []channeltest.Ticket {
	f.T.Helper()
	var ts []channeltest.Ticket
	f.Wait(fmt.Sprintf("%d tickets", n), func() bool {
		ts = f.Tickets()
		return len(ts) == n
	})
	return ts
}

// Agent is a signed-in agent.
type Agent struct {
	ID     int64
	Client *http.Client
}

// Agent creates an agent of role in the team and signs them in.
func (f *Flow) Agent(email string, role domain.Role) *Agent {
	f.T.Helper()
	const password = "correct horse battery staple 42"
	var created domain.Agent
	f.Do("POST", "/api/v1/agents", fmt.Sprintf(`{"email":%q,"name":%q,"role":%q,"password":%q,"team_ids":[%d]}`, email, email, role, password, f.Team), 201, &created)
	jar, _ := cookiejar.New(nil)
	a := &Agent{ID: created.ID, Client: &http.Client{Jar: jar}}
	f.As(a, "POST", "/api/v1/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), 200, nil)
	return a
}

// As calls the API as the agent and checks the status; out receives the
// JSON answer when not nil.
func (f *Flow) As(a *Agent, method, path, body string, want int, out any) []byte {
	f.T.Helper()
	req, _ := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := a.Client.Do(req)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.T.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.T.Fatal(err)
		}
	}
	return b
}
