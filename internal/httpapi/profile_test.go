package httpapi_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestSession_AgentChangesOwnNameAndLanguageOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1"}`, 201, nil)
		c := e.login("bo@example.com", "bo-password-1", 200)
		patch := func(body string, want int, code string) domain.Agent {
			t.Helper()
			req, _ := http.NewRequest("PATCH", e.srv.URL+"/api/v1/session", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			var out struct {
				Agent domain.Agent
				Error struct{ Code string }
			}
			e.send(c, req, want, &out)
			if out.Error.Code != code {
				t.Errorf("PATCH %s: error code %q, want %q", body, out.Error.Code, code)
			}
			return out.Agent
		}
		if a := patch(`{"language":"nl"}`, 200, ""); a.Language != "nl" || a.Name != "Bo" || a.Role != domain.RoleAgent {
			t.Fatalf("after language change: %+v", a)
		}
		if a := patch(`{"name":"  Bo Bakker "}`, 200, ""); a.Name != "Bo Bakker" || a.Language != "nl" {
			t.Fatalf("after name change: %+v", a)
		}
		tests := []struct {
			body, code string
			status     int
		}{
			{`{"language":"fr"}`, "invalid_language", 422},
			{`{"name":" "}`, "invalid_name", 422},
			{`{"name":"` + strings.Repeat("x", 201) + `"}`, "invalid_name", 422},
			{`{"role":"admin"}`, "invalid_json", 400},
		}
		for _, tt := range tests {
			patch(tt.body, tt.status, tt.code)
		}
		var me struct{ Agent domain.Agent }
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/session", nil)
		e.send(c, req, 200, &me)
		if me.Agent.Name != "Bo Bakker" || me.Agent.Language != "nl" || me.Agent.Role != domain.RoleAgent {
			t.Fatalf("stored agent %+v", me.Agent)
		}
		e.do("PATCH", "/api/v1/session", e.token, `{"language":"de"}`, 403, nil)
	})
}

// startMemIMAP serves an in-memory mailbox for user "support" with
// password "secret".
func startMemIMAP(t *testing.T) string {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("support", "secret")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	s := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func TestChannels_ConnectionTestReportsEachServer(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, imapPort, _ := net.SplitHostPort(startMemIMAP(t))
	var ch struct{ ID int64 }
	e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"email","name":"Support mail","settings":{"addresses":["support@shop.example"],
		"smtp":{"host":"127.0.0.1","port":%d,"tls":"none"},
		"imap":{"host":"127.0.0.1","port":%s,"tls":"none","username":"support","password":"wrong"}}}`, closed, imapPort), 201, &ch)

	var res struct {
		OK     bool
		Checks []struct {
			Name   string
			OK     bool
			Detail string
		}
	}
	e.do("POST", fmt.Sprintf("/api/v1/channels/%d/test", ch.ID), e.token, "", 200, &res)
	if res.OK || len(res.Checks) != 2 || res.Checks[0].Name != "smtp" || res.Checks[1].Name != "imap" {
		t.Fatalf("answer %+v", res)
	}
	if res.Checks[0].OK || !strings.HasPrefix(res.Checks[0].Detail, fmt.Sprintf("connect to 127.0.0.1:%d: ", closed)) {
		t.Errorf("smtp check %+v", res.Checks[0])
	}
	if res.Checks[1].OK || !strings.HasPrefix(res.Checks[1].Detail, "login failed: ") {
		t.Errorf("imap check %+v", res.Checks[1])
	}

	e.do("PATCH", fmt.Sprintf("/api/v1/channels/%d", ch.ID), e.token, `{"settings":{"addresses":["support@shop.example"],
		"smtp":{"host":"127.0.0.1","port":1,"tls":"none"},
		"imap":{"host":"127.0.0.1","port":`+imapPort+`,"tls":"none","username":"support","password":"secret"}}}`, 200, nil)
	e.do("POST", fmt.Sprintf("/api/v1/channels/%d/test", ch.ID), e.token, "", 200, &res)
	if res.OK || !res.Checks[1].OK || !strings.Contains(res.Checks[1].Detail, "INBOX holds 0 messages") {
		t.Errorf("after fixing the password: %+v", res)
	}

	e.do("POST", fmt.Sprintf("/api/v1/channels/%d/test", e.channel), e.token, "", 422, nil)
	e.do("POST", "/api/v1/channels/999/test", e.token, "", 404, nil)
	e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"supervisor","password":"bo-password-1"}`, 201, nil)
	c := e.login("bo@example.com", "bo-password-1", 200)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/channels/%d/test", e.srv.URL, ch.ID), nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	e.send(c, req, 403, nil)
}
