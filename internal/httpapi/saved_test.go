package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// savedResource is one kind of thing the API creates and changes, with how
// to read it back.
type savedResource struct {
	name   string
	create string // POST path
	update string // method of a change: PATCH or PUT
	// get returns the path that reads the resource and, for a list, the key
	// of the list in the answer (empty: the answer is the resource).
	get    func(id int64) (path, list string)
	body   func(e *env) string
	change string
	// answerOnly are fields a save answers with that a read never shows.
	answerOnly []string
}

func savedResources() []savedResource {
	self := func(base string) func(int64) (string, string) {
		return func(id int64) (string, string) { return fmt.Sprintf("%s/%d", base, id), "" }
	}
	list := func(path, key string) func(int64) (string, string) {
		return func(int64) (string, string) { return path, key }
	}
	return []savedResource{
		{name: "agent", create: "/api/v1/agents", update: "PATCH", get: self("/api/v1/agents"),
			body: func(e *env) string {
				return fmt.Sprintf(`{"email":"de@example.com","name":"Dora","role":"supervisor","language":"de","password":"long enough password",
					"disabled":true,"team_ids":[%d],"skills":["de","Billing"],"capacity":{"budget":4,"costs":{"email":1},"other":2}}`, e.team)
			},
			change: `{"disabled":false,"skills":["nl"],"capacity":null,"name":"Dora B"}`},
		{name: "team", create: "/api/v1/teams", update: "PATCH", get: list("/api/v1/teams", "teams"),
			body: func(*env) string {
				return `{"name":"Billing","mode":"most_free","capacity":{"budget":3,"costs":{},"other":1},"reassign_after_seconds":600}`
			},
			change: `{"mode":"round_robin","capacity":null,"reassign_after_seconds":0}`},
		{name: "channel", create: "/api/v1/channels", update: "PATCH", get: self("/api/v1/channels"),
			body: func(e *env) string {
				return fmt.Sprintf(`{"kind":"api","name":"Shop 2","team_id":%d,"enabled":false,"settings":{"bot":{"enabled":true}}}`, e.team)
			},
			change: `{"enabled":true,"name":"Shop two","settings":{}}`, answerOnly: []string{"inbound_token"}},
		{name: "calendar", create: "/api/v1/calendars", update: "PUT", get: list("/api/v1/calendars", "calendars"),
			body: func(*env) string {
				return `{"name":"Office","config":{"time_zone":"Europe/Amsterdam","hours":{"mon":[{"start":"09:00","end":"17:00"}]}}}`
			},
			change: `{"name":"Office NL","config":{"time_zone":"Europe/Berlin","hours":{"tue":[{"start":"08:00","end":"12:00"}]}}}`},
		{name: "sla policy", create: "/api/v1/sla-policies", update: "PUT", get: list("/api/v1/sla-policies", "policies"),
			body: func(*env) string {
				return `{"name":"Gold","position":2,"warn_percent":70,"targets":{"normal":{"first_response":60}}}`
			},
			change: `{"name":"Gold","enabled":false,"targets":{"normal":{"first_response":30},"urgent":{"resolution":120}}}`},
		{name: "canned response", create: "/api/v1/canned-responses", update: "PUT", get: list("/api/v1/canned-responses", "canned_responses"),
			body:   func(*env) string { return `{"title":"Thanks","text":"Thank you!"}` },
			change: `{"title":"Thanks!","text":"Thank you very much."}`},
		{name: "kb category", create: "/api/v1/kb/categories", update: "PUT", get: list("/api/v1/kb/categories", "categories"),
			body:   func(*env) string { return `{"slug":"orders","position":3,"names":{"en":"Orders","nl":"Bestellingen"}}` },
			change: `{"slug":"orders","position":1,"names":{"en":"Orders","de":"Bestellungen"}}`},
		{name: "kb article", create: "/api/v1/kb/articles", update: "PUT", get: self("/api/v1/kb/articles"),
			body: func(*env) string {
				return `{"language":"nl","title":"Retourneren","summary":"Zo stuurt u iets terug","keywords":["retour"],"body":"Binnen 30 dagen.","status":"published"}`
			},
			change: `{"language":"nl","title":"Retourneren","summary":"Terugsturen","keywords":[],"body":"Binnen 14 dagen.","status":"draft"}`},
	}
}

// TestSaves_WhatTheAnswerSaysWasStoredIsWhatAReadReturns creates and then
// changes every kind of configurable resource and checks that each save's
// answer matches a fresh read field by field: an answer must never claim
// what was not stored.
func TestSaves_WhatTheAnswerSaysWasStoredIsWhatAReadReturns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		parent := newEnv(t, st)
		for _, res := range savedResources() {
			t.Run(res.name, func(t *testing.T) {
				e := *parent
				e.t = t
				var created map[string]any
				e.do("POST", res.create, e.token, res.body(&e), 201, &created)
				id := int64(created["id"].(float64))
				if id == 0 {
					t.Fatalf("created %s answers id 0: %v", res.name, created)
				}
				res.compare(t, &e, "create", id, created)

				var changed map[string]any
				e.do(res.update, fmt.Sprintf("%s/%d", res.create, id), e.token, res.change, 200, &changed)
				res.compare(t, &e, "change", id, changed)
			})
		}
	})
}

// compare reads the resource id and reports every field of answer that the
// read does not return alike.
func (res savedResource) compare(t *testing.T, e *env, step string, id int64, answer map[string]any) {
	t.Helper()
	path, key := res.get(id)
	var read map[string]any
	if key == "" {
		e.do("GET", path, e.token, "", 200, &read)
	} else {
		var all map[string]json.RawMessage
		e.do("GET", path, e.token, "", 200, &all)
		var items []map[string]any
		if err := json.Unmarshal(all[key], &items); err != nil {
			t.Fatalf("%s: list %s: %v", step, key, err)
		}
		for _, it := range items {
			if int64(it["id"].(float64)) == id {
				read = it
			}
		}
		if read == nil {
			t.Fatalf("%s: %s %d is not in GET %s", step, res.name, id, path)
		}
	}
	var diffs []string
	for k, v := range answer {
		if contains(res.answerOnly, k) {
			continue
		}
		if got, ok := read[k]; !ok || !reflect.DeepEqual(got, v) {
			diffs = append(diffs, fmt.Sprintf("%s: answered %v, read %v", k, v, got))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("after %s, the answer and a fresh GET differ:\n%s", step, strings.Join(diffs, "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAgents_ACreatedAgentIsRoutedAndLockedOutAsCreated: the skills and
// disabled flag given at creation take effect at once, without a later
// change or a restart.
func TestAgents_ACreatedAgentIsRoutedAndLockedOutAsCreated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.do("POST", "/api/v1/agents", e.token,
			`{"email":"gone@example.com","name":"Gone","password":"gone-password-1","disabled":true}`, 201, nil)
		e.login("gone@example.com", "gone-password-1", 401)

		var dora domain.Agent
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(
			`{"email":"dora@example.com","name":"Dora","password":"dora-password-1","team_ids":[%d],"skills":["de"]}`, e.team), 201, &dora)
		client := e.login("dora@example.com", "dora-password-1", 200)
		call := func(method, path, body string, want int, out any) {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			e.send(client, req, want, out)
		}
		call("PUT", "/api/v1/session/presence", `{"presence":"online"}`, 200, nil)
		in := e.post(`{"external_id":"de-1","from":{"email":"max@example.de"},"text":"Hallo"}`, 201)
		e.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", in.Ticket.ID), e.token, `{"skills":["de"]}`, 200, nil)
		waitQueued(t, e, 1)
		var tk domain.Ticket
		call("POST", "/api/v1/queue/next", ``, 200, &tk)
		if tk.ID != in.Ticket.ID || tk.AssigneeID != dora.ID {
			t.Fatalf("Dora pulled %+v, want ticket %d", tk, in.Ticket.ID)
		}
	})
}

// waitQueued waits until the router's queues hold n waiting tickets.
func waitQueued(t *testing.T, e *env, n int) {
	t.Helper()
	eventually.True(t, fmt.Sprintf("%d tickets waiting", n), func() bool {
		var view dispatch.View
		e.do("GET", "/api/v1/queues", e.token, "", 200, &view)
		waiting := 0
		for _, q := range view.Queues {
			waiting += q.Waiting
		}
		return waiting == n
	})
}

// channelEvents records the channel events a node's hub hears.
type channelEvents struct {
	mu  sync.Mutex
	got []string
}

func (c *channelEvents) Publish(events ...domain.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range events {
		if ev.Type == domain.EventChannelCreated || ev.Type == domain.EventChannelUpdated {
			c.got = append(c.got, fmt.Sprintf("%s %d", ev.Type, ev.ChannelID))
		}
	}
}

// TestChannels_SavingAChannelTellsItsConnectors: connectors such as the
// IMAP watcher start or restart a channel as soon as it is saved.
func TestChannels_SavingAChannelTellsItsConnectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		heard := &channelEvents{}
		e.hub.Listen(heard)
		var ch struct{ ID int64 }
		e.do("POST", "/api/v1/channels", e.token, `{"kind":"api","name":"Outlet"}`, 201, &ch)
		e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, `{"name":"Outlet shop"}`, 200, nil)
		heard.mu.Lock()
		defer heard.mu.Unlock()
		want := []string{fmt.Sprintf("channel.created %d", ch.ID), fmt.Sprintf("channel.updated %d", ch.ID)}
		if !reflect.DeepEqual(heard.got, want) {
			t.Fatalf("heard %v, want %v", heard.got, want)
		}
	})
}
