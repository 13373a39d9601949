package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestRouting_PresenceGetNextQueuesAndWaitTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		call := func(c *http.Client, method, path, body string, want int, out any) {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			e.send(c, req, want, out)
		}
		var bo domain.Agent
		e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(
			`{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1","team_ids":[%d],"skills":["NL"," nl","billing"]}`, e.team), 201, &bo)
		if strings.Join(bo.Skills, ",") != "billing,nl" || bo.Presence != "" && bo.Presence != domain.PresenceOffline {
			t.Fatalf("new agent routing %+v", bo.Routing)
		}
		client := e.login("bo@example.com", "bo-password-1", 200)

		// Bad input is refused with clear codes.
		for _, tc := range []struct{ method, path, token, body, code string }{
			{"PUT", "/api/v1/session/presence", e.token, `{"presence":"online"}`, "not_an_agent"},
			{"PATCH", fmt.Sprintf("/api/v1/teams/%d", e.team), e.token, `{"mode":"fastest"}`, "invalid_mode"},
			{"PATCH", fmt.Sprintf("/api/v1/teams/%d", e.team), e.token, `{"capacity":{"budget":0,"other":1}}`, "invalid_capacity"},
			{"PATCH", fmt.Sprintf("/api/v1/teams/%d", e.team), e.token, `{"reassign_after_seconds":-5}`, "invalid_reassign_after"},
			{"PATCH", fmt.Sprintf("/api/v1/agents/%d", bo.ID), e.token, `{"capacity":{"budget":10,"costs":{"call":0},"other":1}}`, "invalid_capacity"},
		} {
			var out struct{ Error struct{ Code string } }
			e.do(tc.method, tc.path, tc.token, tc.body, 422, &out)
			if out.Error.Code != tc.code {
				t.Errorf("%s %s %s: code %q, want %q", tc.method, tc.path, tc.body, out.Error.Code, tc.code)
			}
		}
		call(client, "PUT", "/api/v1/session/presence", `{"presence":"busy"}`, 422, nil)
		call(client, "POST", "/api/v1/queue/next", ``, 422, nil) // offline agents take no work

		// A manual team: Bo goes online and pulls the waiting ticket.
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"help"}`, 201)
		var pres struct {
			Presence string
			Since    int64
		}
		call(client, "PUT", "/api/v1/session/presence", `{"presence":"online"}`, 200, &pres)
		if pres.Presence != "online" || pres.Since == 0 {
			t.Fatalf("presence answer %+v", pres)
		}
		var view dispatch.View
		deadline := time.Now().Add(time.Minute)
		for {
			e.do("GET", "/api/v1/queues", e.token, "", 200, &view)
			if len(view.Queues) == 1 && view.Queues[0].Waiting == 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(view.Queues) != 1 || view.Queues[0].Waiting != 1 || view.Queues[0].Kind != "api" {
			t.Fatalf("queues %+v", view.Queues)
		}
		call(client, "GET", "/api/v1/queues", "", 403, nil) // supervisors only
		var tk domain.Ticket
		call(client, "POST", "/api/v1/queue/next", ``, 200, &tk)
		if tk.ID != a.Ticket.ID || tk.AssigneeID != bo.ID {
			t.Fatalf("pulled %+v", tk)
		}
		call(client, "POST", "/api/v1/queue/next", ``, 204, nil)

		// Customers can see the expected wait per channel without signing in.
		var waits struct {
			Channels []struct {
				ChannelID int64 `json:"channel_id"`
				Staffed   bool
			}
		}
		e.do("GET", "/api/v1/wait-times", "", "", 200, &waits)
		if len(waits.Channels) != 1 || waits.Channels[0].ChannelID != e.channel || !waits.Channels[0].Staffed {
			t.Fatalf("wait times %+v", waits)
		}

		// Switching the team to push mode with a grace period is kept.
		var team domain.Team
		e.do("PATCH", fmt.Sprintf("/api/v1/teams/%d", e.team), e.token,
			`{"mode":"most_free","reassign_after_seconds":300,"capacity":{"budget":6,"costs":{"chat":3},"other":1}}`, 200, &team)
		if team.Mode != "most_free" || team.ReassignAfter != 300 || team.Capacity == nil || team.Capacity.Budget != 6 || team.Name != "Support" {
			t.Fatalf("team %+v", team)
		}
		var teams struct{ Teams []domain.Team }
		e.do("GET", "/api/v1/teams", e.token, "", 200, &teams)
		if teams.Teams[0].Mode != "most_free" || teams.Teams[0].Capacity.Costs["chat"] != 3 {
			t.Fatalf("teams %+v", teams.Teams)
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/teams/%d", e.team), e.token, `{"capacity":null}`, 200, &team)
		if team.Capacity != nil {
			t.Fatalf("capacity not cleared: %+v", team.Capacity)
		}
	})
}
