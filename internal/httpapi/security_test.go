package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/notice"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
	"loket.dev/loket/internal/tasks"
)

// clock is the server's clock in a test: it moves only when told.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

func withClock(c *clock) func(*httpapi.Config) {
	c.at = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return func(cfg *httpapi.Config) { cfg.Clock = c.now }
}

// code is the authenticator code of secret at the clock's time.
func (c *clock) code(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, c.now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// call sends a JSON request with the client c (which holds a session
// cookie, or none) and checks the status.
func (e *env) call(c *http.Client, method, path, body string, want int, out any) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(c, req, want, out)
}

func newJar() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

type signInAnswer struct {
	TwoFactor *struct {
		Challenge string `json:"challenge"`
	} `json:"two_factor"`
	TwoFactorRequired bool `json:"two_factor_required"`
}

// enrol sets up two-factor sign-in for the agent of client c and returns
// the secret and the recovery codes.
func (e *env) enrol(c *http.Client, clk *clock) (string, []string) {
	e.t.Helper()
	var en struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
		QR     string `json:"qr_png"`
	}
	e.call(c, "POST", "/api/v1/session/two-factor/enrol", "", 200, &en)
	if en.Secret == "" || !strings.HasPrefix(en.URI, "otpauth://totp/Loket:") || !strings.HasPrefix(en.QR, "data:image/png;base64,") {
		e.t.Fatalf("enrol answered %+v", en)
	}
	var conf struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	e.call(c, "POST", "/api/v1/session/two-factor/confirm", fmt.Sprintf(`{"code":%q}`, clk.code(e.t, en.Secret)), 200, &conf)
	if len(conf.RecoveryCodes) != 10 {
		e.t.Fatalf("%d recovery codes, want 10", len(conf.RecoveryCodes))
	}
	return en.Secret, conf.RecoveryCodes
}

// challenge signs in with a password that two-factor sign-in follows.
func (e *env) challenge(c *http.Client, email, password string) string {
	e.t.Helper()
	var a signInAnswer
	resp := e.call(c, "POST", "/api/v1/session", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), 200, &a)
	if a.TwoFactor == nil || a.TwoFactor.Challenge == "" {
		e.t.Fatalf("sign-in answered no challenge")
	}
	if len(resp.Cookies()) != 0 {
		e.t.Fatal("a session cookie was set before the second factor")
	}
	return a.TwoFactor.Challenge
}

func TestTwoFactor_EnrolConfirmAndSignInWithACodeOrARecoveryCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var clk clock
		e := newEnv(t, st, withClock(&clk))
		c := e.login("admin@example.com", adminPassword, 200)
		e.call(c, "POST", "/api/v1/session/two-factor/confirm", `{"code":"123456"}`, 409, nil) // nothing to confirm yet
		secret, recovery := e.enrol(c, &clk)
		e.call(c, "DELETE", "/api/v1/session", "", 204, nil)

		steps := []struct {
			name  string
			body  func(challenge string) string
			want  int
			later time.Duration // moves the clock before the step
		}{
			{"the code confirmed with cannot sign in again", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"code":%q}`, ch, clk.code(t, secret))
			}, 401, 0},
			{"a wrong code is refused", func(ch string) string { return fmt.Sprintf(`{"challenge":%q,"code":"000000"}`, ch) }, 401, 30 * time.Second},
			{"the next step's code signs in", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"code":%q}`, ch, clk.code(t, secret))
			}, 200, 0},
			{"the same code does not sign in twice", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"code":%q}`, ch, clk.code(t, secret))
			}, 401, 0},
			{"a recovery code signs in", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"recovery_code":%q}`, ch, strings.ToUpper(recovery[0]))
			}, 200, 0},
			{"a recovery code works once", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"recovery_code":%q}`, ch, recovery[0])
			}, 401, 0},
			{"an expired challenge is refused", func(ch string) string {
				return fmt.Sprintf(`{"challenge":%q,"recovery_code":%q}`, ch, recovery[1])
			}, 401, 6 * time.Minute},
		}
		for _, s := range steps {
			c := newJar()
			ch := e.challenge(c, "admin@example.com", adminPassword)
			clk.add(s.later)
			e.call(c, "POST", "/api/v1/session/two-factor", s.body(ch), s.want, nil)
			wantMe := 401
			if s.want == 200 {
				wantMe = 200
			}
			if e.call(c, "GET", "/api/v1/session", "", wantMe, nil); t.Failed() {
				t.Fatalf("step %q", s.name)
			}
		}
		var audit struct{ Entries []store.AuditEntry }
		e.do("GET", "/api/v1/audit?action=agent.two_factor", e.token, "", 200, &audit)
		var actions []string
		for _, a := range audit.Entries {
			actions = append(actions, a.Action)
		}
		if got := strings.Join(actions, " "); !strings.Contains(got, "agent.two_factor.enable") || !strings.Contains(got, "agent.two_factor.recovery_code") {
			t.Errorf("audit log has %q, want the enrolment and the recovery code", got)
		}
	})
}

func TestTwoFactor_DisablingNeedsACurrentCodeAndAnAdminCanReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var clk clock
		e := newEnv(t, st, withClock(&clk))
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1"}`, 201, nil)
		c := e.login("bo@example.com", "bo-password-1", 200)
		secret, _ := e.enrol(c, &clk)
		e.call(c, "POST", "/api/v1/session/two-factor/disable", `{"code":"000000"}`, 422, nil)
		clk.add(30 * time.Second)
		e.call(c, "POST", "/api/v1/session/two-factor/disable", fmt.Sprintf(`{"code":%q}`, clk.code(t, secret)), 200, nil)
		var me struct {
			Agent struct {
				TwoFactor bool `json:"two_factor"`
			}
		}
		if e.call(c, "GET", "/api/v1/session", "", 200, &me); me.Agent.TwoFactor {
			t.Fatal("two-factor sign-in still on after disabling")
		}

		// Enrolled again, the agent loses the phone: an admin resets it,
		// which ends the agent's sessions, and the password alone signs in.
		clk.add(30 * time.Second)
		e.enrol(c, &clk)
		var agents struct {
			Agents []struct {
				ID    int64
				Email string
			}
		}
		e.do("GET", "/api/v1/agents", e.token, "", 200, &agents)
		var bo int64
		for _, a := range agents.Agents {
			if a.Email == "bo@example.com" {
				bo = a.ID
			}
		}
		e.do("POST", fmt.Sprintf("/api/v1/agents/%d/two-factor/reset", bo), e.token, "", 200, nil)
		e.call(c, "GET", "/api/v1/session", "", 401, nil)
		e.login("bo@example.com", "bo-password-1", 200)
	})
}

func TestTwoFactor_ARoleThatRequiresItMayOnlyEnrolUntilItHas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var clk clock
		e := newEnv(t, st, withClock(&clk))
		e.do("PUT", "/api/v1/settings/security", e.token, `{"two_factor_roles":["unknown"]}`, 422, nil)
		e.do("PUT", "/api/v1/settings/security", e.token, `{"two_factor_roles":["agent"]}`, 200, nil)
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1"}`, 201, nil)
		c := newJar()
		var a signInAnswer
		e.call(c, "POST", "/api/v1/session", `{"email":"bo@example.com","password":"bo-password-1"}`, 200, &a)
		if !a.TwoFactorRequired {
			t.Fatal("sign-in did not say two-factor sign-in is required")
		}
		resp := e.call(c, "GET", "/api/v1/tickets", "", 403, nil)
		_ = resp
		e.call(c, "GET", "/api/v1/session", "", 200, nil)
		secret, _ := e.enrol(c, &clk)
		e.call(c, "GET", "/api/v1/tickets", "", 200, nil)
		// Disabling is refused while the role requires it.
		clk.add(30 * time.Second)
		e.call(c, "POST", "/api/v1/session/two-factor/disable", fmt.Sprintf(`{"code":%q}`, clk.code(t, secret)), 409, nil)
		// An admin, whose role does not require it, works as before.
		admin := e.login("admin@example.com", adminPassword, 200)
		e.call(admin, "GET", "/api/v1/tickets", "", 200, nil)
	})
}

func TestSessions_AnAgentListsAndRevokesSessionsAndARevokedOneGets401(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var clk clock
		e := newEnv(t, st, withClock(&clk))
		laptop := e.login("admin@example.com", adminPassword, 200)
		phone := e.login("admin@example.com", adminPassword, 200)
		tablet := e.login("admin@example.com", adminPassword, 200)
		type sessions struct {
			Sessions []struct {
				ID      string `json:"id"`
				Current bool   `json:"current"`
				IP      string `json:"ip"`
			}
		}
		var list sessions
		e.call(phone, "GET", "/api/v1/session/sessions", "", 200, &list)
		if len(list.Sessions) != 3 {
			t.Fatalf("%d sessions, want 3", len(list.Sessions))
		}
		var current, other string
		for _, s := range list.Sessions {
			if s.Current {
				current = s.ID
			} else if other == "" {
				other = s.ID
			}
			if s.IP != "127.0.0.1" {
				t.Errorf("session from %q, want 127.0.0.1", s.IP)
			}
		}
		if current == "" {
			t.Fatal("no session marked current")
		}
		e.call(phone, "DELETE", "/api/v1/session/sessions/"+other, "", 204, nil)
		e.call(phone, "DELETE", "/api/v1/session/sessions/"+other, "", 404, nil)
		alive := 0
		for _, c := range []*http.Client{laptop, tablet} {
			if resp, _ := c.Get(e.srv.URL + "/api/v1/session"); resp.StatusCode == 200 {
				alive++
			}
		}
		if alive != 1 {
			t.Fatalf("%d of the other two sessions alive, want 1", alive)
		}
		// All others end; this one stays.
		e.call(phone, "DELETE", "/api/v1/session/sessions", "", 200, nil)
		e.call(laptop, "GET", "/api/v1/session", "", 401, nil)
		e.call(tablet, "GET", "/api/v1/session", "", 401, nil)
		e.call(phone, "GET", "/api/v1/session", "", 200, nil)

		// An admin sees and ends another agent's sessions.
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1"}`, 201, nil)
		bo := e.login("bo@example.com", "bo-password-1", 200)
		var me struct{ Agent struct{ ID int64 } }
		e.call(bo, "GET", "/api/v1/session", "", 200, &me)
		e.call(bo, "GET", fmt.Sprintf("/api/v1/agents/%d/sessions", me.Agent.ID), "", 403, nil)
		e.do("GET", fmt.Sprintf("/api/v1/agents/%d/sessions", me.Agent.ID), e.token, "", 200, &list)
		if len(list.Sessions) != 1 {
			t.Fatalf("admin sees %d sessions of Bo, want 1", len(list.Sessions))
		}
		e.do("DELETE", fmt.Sprintf("/api/v1/agents/%d/sessions/%s", me.Agent.ID, list.Sessions[0].ID), e.token, "", 204, nil)
		e.call(bo, "GET", "/api/v1/session", "", 401, nil)
	})
}

func TestPassword_ChangingItEndsOtherSessionsAndWeakOnesAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		mine := e.login("admin@example.com", adminPassword, 200)
		other := e.login("admin@example.com", adminPassword, 200)
		for _, tc := range []struct{ name, body string }{
			{"too short", `{"email":"bo@example.com","name":"Bo","role":"agent","password":"short-pw"}`},
			{"common", `{"email":"bo@example.com","name":"Bo","role":"agent","password":"qwerty123456"}`},
			{"the e-mail address", `{"email":"bo.bakker@example.com","name":"Bo","role":"agent","password":"bo.bakker@example.com"}`},
		} {
			var out struct {
				Error struct{ Code, Message string }
			}
			e.do("POST", "/api/v1/agents", e.token, tc.body, 422, &out)
			if out.Error.Code != "weak_password" || out.Error.Message == "" {
				t.Errorf("%s: error %+v, want weak_password with a message", tc.name, out.Error)
			}
		}
		e.call(mine, "PUT", "/api/v1/session/password", fmt.Sprintf(`{"current":%q,"new":"password1234"}`, adminPassword), 422, nil)
		e.call(mine, "PUT", "/api/v1/session/password", fmt.Sprintf(`{"current":%q,"new":"a much longer passphrase now"}`, adminPassword), 204, nil)
		e.call(mine, "GET", "/api/v1/session", "", 200, nil)
		e.call(other, "GET", "/api/v1/session", "", 401, nil)
		e.login("admin@example.com", "a much longer passphrase now", 200)
	})
}

// mailbox is a real SMTP server that keeps what it is sent.
type mailbox struct {
	mu    sync.Mutex
	mails []string
	addr  string
}

func startMailbox(t *testing.T) *mailbox {
	m := &mailbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailboxSession{m: m}, nil }))
	s.Domain, s.AllowInsecureAuth = "mailbox.test", true
	s.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return m
}

func (m *mailbox) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.mails...)
}

type mailboxSession struct {
	m  *mailbox
	to string
}

func (s *mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *mailboxSession) Reset()        {}
func (s *mailboxSession) Logout() error { return nil }
func (s *mailboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.mails = append(s.m.mails, "To: "+s.to+"\n"+string(b))
	return nil
}

func TestLockout_TenFailuresLockTheAccountAuditAndMailTheOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var clk clock
		runner := tasks.NewRunner(st, slog.New(slog.DiscardHandler))
		e := newEnv(t, st, withClock(&clk), func(c *httpapi.Config) { c.TasksAdded = runner.Wake })
		runner.Handle(notice.TaskKind, (&notice.Sender{Store: st, Mail: email.New(st)}).Handle)
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { runner.Worker().Run(ctx); close(done) }()
		t.Cleanup(func() { stop(); <-done })

		box := startMailbox(t)
		host, port, _ := net.SplitHostPort(box.addr)
		e.do("POST", "/api/v1/channels", e.token, fmt.Sprintf(`{"kind":"email","name":"Mail","team_id":%d,"settings":{
			"addresses":["support@shop.example"],"smtp":{"host":%q,"port":%s,"tls":"none"}}}`, e.team, host, port), 201, nil)
		e.do("POST", "/api/v1/agents", e.token, `{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1","language":"nl"}`, 201, nil)

		// Ten guesses, each from its own address so that no address's
		// rate limit stops them first.
		for i := range 10 {
			e.signInFrom(fmt.Sprintf("127.0.0.%d", 10+i), "bo@example.com", "wrong password!", 401)
		}
		e.signInFrom("127.0.0.1", "bo@example.com", "bo-password-1", 423)
		eventually.True(t, "the owner is mailed of the lock", func() bool {
			for _, m := range box.received() {
				if strings.HasPrefix(m, "To: bo@example.com") && strings.Contains(m, "geblokkeerd") {
					return true
				}
			}
			return false
		})
		var audit struct{ Entries []store.AuditEntry }
		e.do("GET", "/api/v1/audit?action=agent.locked", e.token, "", 200, &audit)
		if len(audit.Entries) != 1 || audit.Entries[0].Target != "bo@example.com" {
			t.Fatalf("audit entries %+v, want one lock of bo", audit.Entries)
		}
		// The lock lifts after 15 minutes; a success clears the count.
		clk.add(15 * time.Minute)
		e.signInFrom("127.0.0.1", "bo@example.com", "bo-password-1", 200)
	})
}
