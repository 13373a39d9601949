package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/text/language"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/sso"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// opUsers is the provider's user directory: the example storage's users,
// looked up by id and username.
type opUsers map[string]*storage.User

func (u opUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u opUsers) GetUserByUsername(name string) *storage.User {
	for _, user := range u {
		if user.Username == name {
			return user
		}
	}
	return nil
}
func (u opUsers) ExampleClientID() string { return storage.ServiceUserID }

// opStorage is the example provider's in-memory storage, with a groups
// claim in the user info that tests can change between sign-ins.
type opStorage struct {
	*storage.Storage
	mu     sync.Mutex
	groups map[string][]string // by user id
}

func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info.AppendClaims("groups", s.groups[info.Subject])
	return nil
}

func (s *opStorage) setGroups(user string, groups ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[user] = groups
}

// ssoEnv is Loket with single sign-on at a real OpenID provider (zitadel's
// certified OP with the example's storage and login form), both on
// httptest servers.
type ssoEnv struct {
	*env
	t        *testing.T
	op       *httptest.Server
	opStore  *opStorage
	loketURL string // the front Loket is reached and registered at
	clients  map[string]*storage.Client
	*ssoControl
}

// ssoControl is what tests change under a running Loket.
type ssoControl struct {
	// swap, when set, replaces the ID token in the provider's token answer
	// to Loket, as an attacker injecting a token would.
	swap atomic.Pointer[string]
	now  atomic.Pointer[time.Time]
}

// in returns e for subtest t.
func (e *ssoEnv) in(t *testing.T) *ssoEnv {
	inner := *e.env
	inner.t = t
	sub := *e
	sub.env, sub.t = &inner, t
	return &sub
}

const ssoSecret = "loket-client-secret"

type ssoOption func(*sso.Config)

func newSSOEnv(t *testing.T, st *store.Store, opts ...ssoOption) *ssoEnv {
	t.Helper()
	e := &ssoEnv{t: t, clients: map[string]*storage.Client{}, ssoControl: &ssoControl{}}
	users := opUsers{
		"u-ann": {ID: "u-ann", Username: "ann", Password: "ann-pw", FirstName: "Ann", LastName: "Smit", Email: "Ann@Example.com", EmailVerified: true, PreferredLanguage: language.English},
		"u-bob": {ID: "u-bob", Username: "bob", Password: "bob-pw", FirstName: "Bob", LastName: "Jansen", Email: "bob@example.com", EmailVerified: true, PreferredLanguage: language.English},
		// Another account at the provider that was given Bob's address.
		"u-bob2": {ID: "u-bob2", Username: "bob2", Password: "bob2-pw", FirstName: "Bob", LastName: "Two", Email: "bob@example.com", EmailVerified: true, PreferredLanguage: language.English},
	}
	e.opStore = &opStorage{Storage: storage.NewStorageWithClients(users, e.clients), groups: map[string][]string{}}

	// The provider: its issuer is its own address, known once listening.
	e.op = httptest.NewUnstartedServer(nil)
	issuer := "http://" + e.op.Listener.Addr().String()
	e.op.Config.Handler = exampleop.SetupServer(issuer, e.opStore, slog.New(slog.DiscardHandler), false)
	e.op.Start()
	t.Cleanup(e.op.Close)

	// Loket behind a front server, so that its callback address is known
	// before the server is made.
	var loket atomic.Pointer[http.Handler]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*loket.Load()).ServeHTTP(w, r) }))
	t.Cleanup(front.Close)
	e.loketURL = front.URL
	callback := front.URL + "/api/v1/sso/callback"
	e.clients["loket"] = storage.WebClient("loket", ssoSecret, callback)
	e.clients["other"] = storage.WebClient("other", "other-secret", "http://other.example/cb")

	key := make([]byte, 32)
	rand.Read(key)
	now := time.Now()
	e.now.Store(&now)
	cfg := sso.Config{
		Issuer: issuer, ClientID: "loket", ClientSecret: ssoSecret, RedirectURL: callback,
		Scopes: []string{"openid", "email", "profile"}, Label: "Zitadel",
		Roles:     map[string]domain.Role{"loket-admins": domain.RoleAdmin, "loket-supervisors": domain.RoleSupervisor},
		Teams:     map[string]string{"support": "Support", "complaints": "Complaints"},
		Provision: true, PasswordSignIn: true, Key: key,
		Client: &http.Client{Transport: &tokenSwapper{e: e.ssoControl}},
		Now:    func() time.Time { return *e.now.Load() },
	}
	for _, o := range opts {
		o(&cfg)
	}
	p, err := sso.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.env = newEnv(t, st, func(c *httpapi.Config) { c.SSO = p })
	h := e.env.srv.Config.Handler
	loket.Store(&h)
	e.do("POST", "/api/v1/teams", e.token, `{"name":"Complaints"}`, 201, nil)
	return e
}

// tokenSwapper passes Loket's calls to the provider through, replacing
// the ID token of a token answer when the test says so.
type tokenSwapper struct{ e *ssoControl }

func (s *tokenSwapper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	swap := s.e.swap.Load()
	if err != nil || swap == nil || !strings.HasSuffix(req.URL.Path, "/oauth/token") || resp.StatusCode != 200 {
		return resp, err
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	body["id_token"] = *swap
	b, _ := json.Marshal(body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// browser is a client with a cookie jar that stops at Loket's callback,
// so that tests can look at (and tamper with) the provider's answer.
func (e *ssoEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), e.op.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// authorize follows authURL to the provider's login form, signs in as
// username and returns where the provider sends the browser back to.
func (e *ssoEnv) authorize(c *http.Client, authURL, username string) *url.URL {
	e.t.Helper()
	resp, err := c.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != 200 || id == "" {
		e.t.Fatalf("provider login page: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	password := strings.Split(username, "@")[0] + "-pw"
	resp, err = c.PostForm(e.op.URL+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil {
		e.t.Fatalf("provider did not send the browser back: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return back
}

// begin starts a sign-in at Loket and returns the provider's address.
func (e *ssoEnv) begin(c *http.Client) string {
	e.t.Helper()
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(e.loketURL + "/api/v1/sso/login")
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		e.t.Fatalf("sso login: %d", resp.StatusCode)
	}
	q := loc.Query()
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		e.t.Fatalf("authorization request lacks state, nonce or PKCE: %s", loc)
	}
	return loc.String()
}

// callback delivers the provider's answer to Loket and checks the status;
// it returns the error code of a refusal.
func (e *ssoEnv) callback(c *http.Client, back *url.URL, want int) string {
	e.t.Helper()
	code, _ := e.refusal(c, back, want)
	return code
}

// refusal is callback returning the refusal's message too.
func (e *ssoEnv) refusal(c *http.Client, back *url.URL, want int) (code, message string) {
	e.t.Helper()
	resp, err := c.Get(back.String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("callback: status %d, want %d; body %s", resp.StatusCode, want, b)
	}
	if want == http.StatusSeeOther {
		return "", ""
	}
	var a struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &a); err != nil {
		e.t.Fatalf("refusal %s: %v", b, err)
	}
	return a.Error.Code, a.Error.Message
}

// signIn goes all the way through as username and returns the browser,
// signed in at Loket.
func (e *ssoEnv) signIn(username string) *http.Client {
	e.t.Helper()
	c := e.browser()
	e.callback(c, e.authorize(c, e.begin(c), username), http.StatusSeeOther)
	return c
}

// me returns the signed-in agent of browser c.
func (e *ssoEnv) me(c *http.Client) domain.Agent {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.loketURL+"/api/v1/session", nil)
	var me struct{ Agent domain.Agent }
	e.send(c, req, 200, &me)
	return me.Agent
}

func (e *ssoEnv) teamID(name string) int64 {
	e.t.Helper()
	var page struct{ Teams []domain.Team }
	e.do("GET", "/api/v1/teams", e.token, "", 200, &page)
	for _, t := range page.Teams {
		if t.Name == name {
			return t.ID
		}
	}
	e.t.Fatalf("no team %s", name)
	return 0
}

type auditEntry struct {
	Actor, Action, Target, Detail string
}

func (e *ssoEnv) audit(prefix string) []auditEntry {
	e.t.Helper()
	var page struct{ Entries []auditEntry }
	e.do("GET", "/api/v1/audit?action="+prefix, e.token, "", 200, &page)
	return page.Entries
}

// idTokenFor signs username in at the provider for another client or
// flow and returns the ID token it gets, for tests to inject.
func (e *ssoEnv) idTokenFor(clientID, secret, redirect, nonce, username string) string {
	e.t.Helper()
	conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirect, Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: e.op.URL + "/auth", TokenURL: e.op.URL + "/oauth/token"}}
	c := e.browser()
	back := e.authorize(c, conf.AuthCodeURL("some-state", oauth2.SetAuthURLParam("nonce", nonce)), username)
	tok, err := conf.Exchange(context.Background(), back.Query().Get("code"))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Extra("id_token").(string)
}

func TestSSO_FirstSignInProvisionsAnAgentAndLaterSignInsFollowTheGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSSOEnv(t, st)
		var info struct {
			Enabled        bool   `json:"enabled"`
			Label          string `json:"label"`
			LoginURL       string `json:"login_url"`
			PasswordSignIn bool   `json:"password_sign_in"`
		}
		e.do("GET", "/api/v1/sso", "", "", 200, &info)
		if !info.Enabled || info.Label != "Zitadel" || info.LoginURL != "/api/v1/sso/login" || !info.PasswordSignIn {
			t.Fatalf("sso info %+v", info)
		}

		e.opStore.setGroups("u-ann", "loket-supervisors", "support", "unrelated")
		c := e.signIn("ann")
		me := e.me(c)
		support, complaints := e.teamID("Support"), e.teamID("Complaints")
		if me.Email != "ann@example.com" || me.Name != "Ann Smit" || me.Role != domain.RoleSupervisor ||
			fmt.Sprint(me.TeamIDs) != fmt.Sprint([]int64{support}) {
			t.Fatalf("provisioned agent %+v", me)
		}
		// The session works for the API like a password sign-in's,
		// including the CSRF rules for writes.
		req, _ := http.NewRequest("GET", e.loketURL+"/api/v1/reports/today", nil)
		e.send(c, req, 200, nil)
		req, _ = http.NewRequest("POST", e.loketURL+"/api/v1/contacts", strings.NewReader(`{"name":"X"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		e.send(c, req, 403, nil)

		// The groups changed at the provider: the next sign-in follows.
		e.opStore.setGroups("u-ann", "loket-admins", "complaints")
		c = e.signIn("ann")
		me = e.me(c)
		if me.Role != domain.RoleAdmin || fmt.Sprint(me.TeamIDs) != fmt.Sprint([]int64{complaints}) {
			t.Fatalf("after the groups changed: %+v", me)
		}
		// Out of every mapped group: an agent, in no mapped team.
		e.opStore.setGroups("u-ann")
		me = e.me(e.signIn("ann"))
		if me.Role != domain.RoleAgent || len(me.TeamIDs) != 0 {
			t.Fatalf("after leaving the groups: %+v", me)
		}

		signIns := e.audit("sso.")
		if len(signIns) != 3 || signIns[0].Target != "ann@example.com" || signIns[0].Detail != "127.0.0.1" {
			t.Fatalf("sign-ins in the audit log: %+v", signIns)
		}
		var changes []string
		for _, a := range e.audit("agent.") {
			changes = append(changes, a.Action+": "+a.Detail)
		}
		want := []string{
			"agent.teams: joined none; left Complaints; from 127.0.0.1",
			"agent.role: admin → agent, from 127.0.0.1",
			"agent.teams: joined Complaints; left Support; from 127.0.0.1",
			"agent.role: supervisor → admin, from 127.0.0.1",
			"agent.teams: joined Support; left none; from 127.0.0.1",
			"agent.create: supervisor, from 127.0.0.1",
		}
		if strings.Join(changes, "\n") != strings.Join(want, "\n") {
			t.Fatalf("changes in the audit log:\n%s\nwant\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestSSO_WithoutProvisioningOnlyExistingAgentsSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newSSOEnv(t, st, func(c *sso.Config) { c.Provision = false })
		c := e.browser()
		if code := e.callback(c, e.authorize(c, e.begin(c), "ann"), 403); code != "sso_unknown_agent" {
			t.Fatalf("unknown user: %s", code)
		}
		var page struct{ Agents []domain.Agent }
		e.do("GET", "/api/v1/agents", e.token, "", 200, &page)
		if len(page.Agents) != 1 {
			t.Fatalf("agents after a refused sign-in: %+v", page.Agents)
		}

		// An agent an admin made signs in by e-mail the first time, and is
		// linked to the provider's subject from then on.
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bob@example.com","name":"Bob","password":"a long password 123"}`, 201, nil)
		me := e.me(e.signIn("bob"))
		if me.Email != "bob@example.com" || me.Role != domain.RoleAgent {
			t.Fatalf("existing agent: %+v", me)
		}
		if _, sub, err := st.AgentOIDC(context.Background(), me.ID); err != nil || sub != "u-bob" {
			t.Fatalf("linked subject %q, %v", sub, err)
		}
		e.me(e.signIn("bob"))
		// Once linked, the address alone does not sign in as Bob.
		c = e.browser()
		if code := e.callback(c, e.authorize(c, e.begin(c), "bob2"), 403); code != "sso_subject_mismatch" {
			t.Fatalf("another user with Bob's address: %s", code)
		}

		// A disabled agent is refused.
		e.do("PATCH", fmt.Sprintf("/api/v1/agents/%d", me.ID), e.token, `{"disabled":true}`, 200, nil)
		c = e.browser()
		if code := e.callback(c, e.authorize(c, e.begin(c), "bob"), 403); code != "agent_disabled" {
			t.Fatalf("disabled agent: %s", code)
		}
	})
}

func TestSSO_ForgedReplayedAndInjectedAnswersAreRefused(t *testing.T) {
	e := newSSOEnv(t, storetest.Open(t, store.SQLite))
	e.opStore.setGroups("u-ann", "support")

	tamper := func(back *url.URL, key, value string) *url.URL {
		u := *back
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return &u
	}
	at := func(d time.Duration) func() {
		return func() {
			later := time.Now().Add(d)
			e.now.Store(&later)
		}
	}
	for _, tc := range []struct {
		name   string
		start  func() // before the sign-in starts
		answer func(c *http.Client, back *url.URL) *url.URL
		want   int
		code   string
		reason string // in the message
	}{
		{"another state", nil, func(_ *http.Client, back *url.URL) *url.URL { return tamper(back, "state", "st_forged") }, 400, "sso_state_mismatch", ""},
		{"no state cookie", nil, func(c *http.Client, back *url.URL) *url.URL {
			c.Jar, _ = cookiejar.New(nil)
			return back
		}, 400, "sso_state_missing", ""},
		{"a forged state cookie", nil, func(c *http.Client, back *url.URL) *url.URL {
			u, _ := url.Parse(e.loketURL + "/api/v1/sso/")
			c.Jar.SetCookies(u, []*http.Cookie{{Name: "loket_sso", Value: "v1:AAAA", Path: "/api/v1/sso/"}})
			return back
		}, 400, "sso_state_missing", ""},
		{"the provider refused", nil, func(_ *http.Client, back *url.URL) *url.URL {
			u := tamper(back, "error", "access_denied")
			return u
		}, 401, "sso_denied", "access_denied"},
		{"an expired state", nil, func(_ *http.Client, back *url.URL) *url.URL {
			later := e.now.Load().Add(sso.StateLifetime + time.Second)
			e.now.Store(&later)
			return back
		}, 400, "sso_state_expired", ""},
		{"a made-up code", nil, func(_ *http.Client, back *url.URL) *url.URL { return tamper(back, "code", "made-up") }, 401, "sso_code_rejected", "invalid_grant"},
		{"a token for another client", nil, func(_ *http.Client, back *url.URL) *url.URL {
			tok := e.idTokenFor("other", "other-secret", "http://other.example/cb", "n", "ann")
			e.swap.Store(&tok)
			return back
		}, 401, "sso_token_invalid", "audience"},
		{"a token from another sign-in", nil, func(_ *http.Client, back *url.URL) *url.URL {
			tok := e.idTokenFor("loket", ssoSecret, e.loketURL+"/api/v1/sso/callback", "nc_another", "ann")
			e.swap.Store(&tok)
			return back
		}, 401, "sso_nonce_mismatch", ""},
		// The provider's ID tokens last an hour; Loket's clock is past that
		// (the state, made by the same clock, is still fresh).
		{"an expired ID token", at(time.Hour + time.Minute), func(_ *http.Client, back *url.URL) *url.URL { return back }, 401, "sso_token_invalid", "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.in(t)
			now := time.Now()
			e.now.Store(&now)
			e.swap.Store(nil)
			if tc.start != nil {
				tc.start()
			}
			c := e.browser()
			back := e.authorize(c, e.begin(c), "ann")
			code, message := e.refusal(c, tc.answer(c, back), tc.want)
			if code != tc.code || !strings.Contains(message, tc.reason) {
				t.Fatalf("refused with %s: %s; want %s about %q", code, message, tc.code, tc.reason)
			}
			req, _ := http.NewRequest("GET", e.loketURL+"/api/v1/session", nil)
			e.send(c, req, 401, nil)
		})
	}

	e.swap.Store(nil)
	at(0)()
	t.Run("a replayed code", func(t *testing.T) {
		e := e.in(t)
		c := e.browser()
		back := e.authorize(c, e.begin(c), "ann")
		u, _ := url.Parse(e.loketURL + "/api/v1/sso/")
		state := c.Jar.Cookies(u)
		e.callback(c, back, http.StatusSeeOther)
		// The browser forgot the state; an attacker who kept it and the
		// answer cannot use the code again.
		if left := c.Jar.Cookies(u); len(left) != 1 || left[0].Name != "loket_session" {
			t.Fatalf("cookies after the sign-in: %v", left)
		}
		replay := e.browser()
		replay.Jar.SetCookies(u, state)
		if code := e.callback(replay, back, 401); code != "sso_code_rejected" {
			t.Fatalf("replayed code: %s", code)
		}
	})

	t.Run("a browser is sent back to the app with the code", func(t *testing.T) {
		e := e.in(t)
		c := e.browser()
		back := tamper(e.authorize(c, e.begin(c), "ann"), "state", "st_forged")
		req, _ := http.NewRequest("GET", back.String(), nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		resp := e.send(c, req, http.StatusSeeOther, nil)
		if loc := resp.Header.Get("Location"); loc != "/login?sso_error=sso_state_mismatch" {
			t.Fatalf("sent to %s", loc)
		}
	})
}

func TestSSO_PasswordSignInCanBeLeftToAdmins(t *testing.T) {
	e := newSSOEnv(t, storetest.Open(t, store.SQLite), func(c *sso.Config) { c.PasswordSignIn = false })
	e.do("POST", "/api/v1/agents", e.token, `{"email":"carl@example.com","name":"Carl","password":"a long password 123"}`, 201, nil)
	e.login("carl@example.com", "a long password 123", 403)
	e.login("carl@example.com", "a wrong password 123", 401)
	e.login("admin@example.com", adminPassword, 200)
	var info struct {
		PasswordSignIn bool `json:"password_sign_in"`
	}
	e.do("GET", "/api/v1/sso", "", "", 200, &info)
	if info.PasswordSignIn {
		t.Fatal("password sign-in offered")
	}
}

func TestSSO_OffAnswersNotFound(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	var info struct{ Enabled bool }
	e.do("GET", "/api/v1/sso", "", "", 200, &info)
	if info.Enabled {
		t.Fatal("enabled without configuration")
	}
	resp := e.do("GET", "/api/v1/sso/login", "", "", 404, nil)
	_ = resp
}
