package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"loket.dev/loket/internal/store/storetest"
)

// TestTwoNodes_InboundOnOneNodeReachesAWebSocketOnTheOther runs two loket
// serve processes on one PostgreSQL database: a message posted to node A
// must be pushed to an agent connected to node B.
func TestTwoNodes_InboundOnOneNodeReachesAWebSocketOnTheOther(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dbURL := storetest.NewPostgresDatabase(t)
	// Nodes share the database and the secret key, nothing else.
	shared := []string{"LOKET_DATABASE_URL=" + dbURL, "LOKET_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "LOKET_ADMIN_PASSWORD=two-nodes-password"}
	a := startServer(t, append(shared, "LOKET_DATA="+t.TempDir()), true)
	b := startServer(t, append(shared, "LOKET_DATA="+t.TempDir()), false)

	// Sign in on node B and open the stream there.
	resp, err := http.Post(b.url+"/api/v1/session", "application/json", strings.NewReader(`{"email":"admin@localhost","password":"two-nodes-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign in on node B: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.url, "http")+"/api/v1/stream",
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": resp.Header.Values("Set-Cookie")}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if _, _, err := conn.Read(ctx); err != nil { // hello
		t.Fatal(err)
	}
	// Node B pushes the message.created events of what node A receives.
	created := make(chan string, 64)
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				close(created)
				return
			}
			var ev struct {
				Type    string
				Message struct {
					ExternalID string `json:"external_id"`
				}
			}
			if json.Unmarshal(data, &ev) == nil && ev.Type == "message.created" {
				select {
				case created <- ev.Message.ExternalID:
				default: // the test has stopped listening
				}
			}
		}
	}()
	// Node B answered /healthz only once it heard the others, so the one
	// message posted to node A reaches B's socket.
	if code, err := a.post(http.DefaultClient, a.channel, a.token, "cross-node"); err != nil || code != 201 {
		t.Fatalf("post to node A: %d %v", code, err)
	}
	if got, ok := <-created; !ok || got != "cross-node" {
		t.Fatalf("node B pushed %q (stream open: %v), want the message posted to node A", got, ok)
	}

	// Routing runs on one node (the first to start leads) and serves agents
	// on every node: going online on node B gets the waiting ticket pushed
	// (the demo team pushes to the agent with most free capacity), and get
	// next on node B is answered by the leader.
	cookie := strings.Join(resp.Header.Values("Set-Cookie"), "; ")
	call := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, b.url+path, strings.NewReader(body))
		req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	if code := call("PUT", "/api/v1/session/presence", `{"presence":"online"}`, nil); code != 200 {
		t.Fatalf("presence on node B: %d", code)
	}
	var page struct {
		Tickets []struct {
			ID         int64 `json:"id"`
			AssigneeID int64 `json:"assignee_id"`
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		call("GET", "/api/v1/tickets", "", &page)
		if len(page.Tickets) == 1 && page.Tickets[0].AssigneeID != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ticket was not pushed to the agent online on node B: %+v", page)
		}
		time.Sleep(50 * time.Millisecond)
	}
	first, admin := page.Tickets[0].ID, page.Tickets[0].AssigneeID
	if code := call("PATCH", "/api/v1/teams/1", `{"mode":"manual"}`, nil); code != 200 {
		t.Fatalf("team to manual: %d", code)
	}
	if code, err := a.post(http.DefaultClient, a.channel, a.token, "cross-node-second"); err != nil || code != 201 {
		t.Fatalf("post to node A: %d %v", code, err)
	}
	var pulled struct {
		ID         int64 `json:"id"`
		AssigneeID int64 `json:"assignee_id"`
	}
	// The team's new mode travels from node B to the leader over the bus
	// while the ticket's arrival is local to node A: a ticket that still
	// met the old mode was pushed, so it goes back to the queue and is
	// pulled from there.
	deadline = time.Now().Add(time.Minute)
	for {
		code := call("POST", "/api/v1/queue/next", "", &pulled)
		if code == 200 {
			break
		}
		if code != 204 || time.Now().After(deadline) {
			t.Fatalf("get next on node B: %d", code)
		}
		call("GET", "/api/v1/tickets", "", &page)
		for _, tk := range page.Tickets {
			if tk.ID != first && tk.AssigneeID != 0 {
				call("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), `{"assignee_id":0}`, nil)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pulled.ID == first || pulled.AssigneeID != admin {
		t.Fatalf("get next on node B pulled %+v", pulled)
	}
}
