package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// dial opens the event stream of a server with a bearer token and skips
// the hello.
func dial(t *testing.T, baseURL, token string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/api/v1/stream",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	var hello map[string]any
	readJSON(t, c, &hello)
	if hello["type"] != "hello" {
		t.Fatalf("first frame %v, want hello", hello)
	}
	return c
}

func readJSON(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read stream: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// waitFor reads events until one of type typ arrives.
func waitFor(t *testing.T, c *websocket.Conn, typ string) domain.Event {
	t.Helper()
	for range 20 {
		var ev domain.Event
		readJSON(t, c, &ev)
		if ev.Type == typ {
			return ev
		}
	}
	t.Fatalf("no %s event", typ)
	return domain.Event{}
}

func TestStream_PushesNewMessagesToAllowedAgents(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	c := dial(t, e.srv.URL, e.token)
	a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"Where is my order?"}`, 201)
	created := waitFor(t, c, domain.EventTicketCreated)
	if created.Ticket == nil || created.Ticket.Number != a.Ticket.Number {
		t.Fatalf("ticket.created %+v", created)
	}
	msg := waitFor(t, c, domain.EventMessageCreated)
	if msg.Message == nil || msg.Message.ID != a.Message.ID || msg.Message.Text != "Where is my order?" {
		t.Fatalf("message.created %+v", msg)
	}
	e.do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", a.Ticket.ID), e.token, `{"text":"on its way"}`, 201, nil)
	if ev := waitFor(t, c, domain.EventMessageCreated); ev.Message.Direction != domain.DirectionOut {
		t.Fatalf("reply event %+v", ev.Message)
	}
}

func TestStream_AgentOfAnotherTeamHearsNothing(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	tok := secret.Token("lkt")
	// A token with the agent role and no team sees only assigned tickets: none.
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{Name: "agent", Role: domain.RoleAgent}, secret.Hash(tok)); err != nil {
		t.Fatal(err)
	}
	outsider := dial(t, e.srv.URL, tok)
	admin := dial(t, e.srv.URL, e.token)
	e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"private"}`, 201)
	waitFor(t, admin, domain.EventMessageCreated)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, b, err := outsider.Read(ctx); err == nil {
		t.Fatalf("agent without access received %s", b)
	}
}

func TestStream_EventsCrossNodesThroughPostgres(t *testing.T) {
	a := newEnv(t, storetest.Open(t, store.Postgres))
	// Node B: its own store connection and server on the same database.
	stB, err := store.Open(context.Background(), a.st.URL(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stB.Close() })
	b := newNode(t, stB, false)
	onB := dial(t, b.srv.URL, a.token)
	b.waitListening()
	posted := a.post(`{"external_id":"x-1","from":{"email":"jan@example.nl"},"text":"via node A"}`, 201)
	ev := waitFor(t, onB, domain.EventMessageCreated)
	if ev.MessageID != posted.Message.ID || ev.Message == nil || ev.Message.Text != "via node A" {
		t.Fatalf("node B got %+v", ev)
	}
}

func TestStream_PresenceFramesWarnOtherAgentsOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1","team_ids":[%d]}`, e.team), 201, nil)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"help"}`, 201)
		cookieOf := func(email, pw string) http.Header {
			resp, err := http.Post(e.srv.URL+"/api/v1/session", "application/json", strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, pw)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return http.Header{"Cookie": resp.Header.Values("Set-Cookie")}
		}
		dialAs := func(h http.Header) *websocket.Conn {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/v1/stream", &websocket.DialOptions{HTTPHeader: h})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.CloseNow() })
			var hello map[string]any
			readJSON(t, c, &hello)
			return c
		}
		ada := dialAs(cookieOf("admin@example.com", adminPassword))
		bo := dialAs(cookieOf("bo@example.com", "bo-password-1"))
		ctx := context.Background()
		bo.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"type":"typing","ticket_id":%d}`, a.Ticket.ID)))
		bo.Write(ctx, websocket.MessageText, []byte(`{"type":"dancing","ticket_id":1}`))
		ev := waitFor(t, ada, domain.EventTicketTyping)
		if ev.TicketID != a.Ticket.ID || ev.Agent == nil || ev.Agent.Name != "Bo" {
			t.Fatalf("typing event %+v", ev)
		}
		quiet, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, b, err := bo.Read(quiet); err == nil {
			t.Fatalf("Bo was told about himself: %s", b)
		}
	})
}

func TestCannedResponses_SupervisorsWriteAgentsRead(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	var c store.CannedResponse
	e.do("POST", "/api/v1/canned-responses", e.token, `{"title":"Shipping","text":"Your parcel is on its way."}`, 201, &c)
	e.do("POST", "/api/v1/canned-responses", e.token, `{"title":"Shipping","text":"again"}`, 422, nil)
	e.do("PUT", fmt.Sprintf("/api/v1/canned-responses/%d", c.ID), e.token, `{"title":"Shipping","text":"It ships today."}`, 200, nil)
	agentTok := secret.Token("lkt")
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{Name: "agent", Role: domain.RoleAgent}, secret.Hash(agentTok)); err != nil {
		t.Fatal(err)
	}
	var list struct {
		CannedResponses []store.CannedResponse `json:"canned_responses"`
	}
	e.do("GET", "/api/v1/canned-responses", agentTok, "", 200, &list)
	if len(list.CannedResponses) != 1 || list.CannedResponses[0].Text != "It ships today." {
		t.Fatalf("list %+v", list)
	}
	e.do("POST", "/api/v1/canned-responses", agentTok, `{"title":"Mine","text":"x"}`, 403, nil)
	e.do("DELETE", fmt.Sprintf("/api/v1/canned-responses/%d", c.ID), e.token, "", 204, nil)
	e.do("DELETE", fmt.Sprintf("/api/v1/canned-responses/%d", c.ID), e.token, "", 404, nil)
}
