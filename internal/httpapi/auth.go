package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

const (
	sessionCookie   = "loket_session"
	sessionLifetime = 14 * 24 * time.Hour
)

// principal is the authenticated caller: an agent by session, or an API
// token acting with its role.
type principal struct {
	agent   *domain.Agent
	cookie  bool   // authenticated by session cookie
	session string // hash of the session token
	// sessionID is the session's public id (store.Session.ID).
	sessionID string
	scope     string // an API token's scope (store.ScopeEvents), "" for all
	// enrolOnly: the agent's role requires two-factor sign-in and the agent
	// has not set it up, so setting it up is all the session may do.
	enrolOnly bool
}

func (p *principal) allowed(a access) bool {
	if p.scope != "" {
		// A scoped token may do its one thing only.
		return a == events && p.scope == store.ScopeEvents
	}
	switch a {
	case events:
		return p.agent.Role == domain.RoleAdmin
	case admin:
		return p.agent.Role == domain.RoleAdmin
	case supervisor:
		return p.agent.Role.SeesAllTickets()
	}
	return true
}

func unauthenticated() error {
	return errorf(http.StatusUnauthorized, "unauthenticated", "sign in, or send an API token as Authorization: Bearer <token>")
}

func (s *Server) authenticate(r *http.Request) (*principal, error) {
	if tok, ok := bearer(r); ok {
		t, err := s.store.APITokenByHash(r.Context(), secret.Hash(tok))
		if errors.Is(err, domain.ErrNotFound) {
			return nil, unauthenticated()
		} else if err != nil {
			return nil, err
		}
		return &principal{agent: &domain.Agent{Name: "token " + t.Name, Role: t.Role, TeamIDs: []int64{}}, scope: t.Scope}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, unauthenticated()
	}
	h := secret.Hash(c.Value)
	a, ses, err := s.store.SessionAgent(r.Context(), h)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, unauthenticated()
	} else if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, unauthenticated()
	}
	if now := s.limits.now().UnixMilli(); now-ses.SeenAt > time.Minute.Milliseconds() {
		// To the minute is enough for the list of sessions, and spares a
		// write on every request.
		if err := s.store.TouchSession(r.Context(), h, now, s.clientIP(r)); err != nil {
			return nil, err
		}
	}
	p := &principal{agent: a, cookie: true, session: h, sessionID: ses.ID}
	if !a.TwoFactor {
		if p.enrolOnly, err = s.twoFactorRequired(r.Context(), a.Role); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return strings.TrimSpace(tok), ok && strings.TrimSpace(tok) != ""
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// signInLimits are the rate limit keys a sign-in from r to the account
// with email counts against.
func (s *Server) signInLimits(r *http.Request, email string) (byAddress, byAccount string) {
	ip := s.clientIP(r)
	return "signin-ip:" + ip, "signin:" + email + "|" + ip
}

// checkSignInRate refuses a sign-in step when too many failed from its
// address, or to its account from there.
func (s *Server) checkSignInRate(w http.ResponseWriter, byAddress, byAccount string) error {
	if s.limits.exhausted(byAddress, failedSignInsPerAddress, time.Minute) ||
		s.limits.exhausted(byAccount, failedSignInsPerAccount, time.Minute) {
		w.Header().Set("Retry-After", "60")
		return errorf(http.StatusTooManyRequests, "rate_limited", "too many failed sign-ins from your address; wait a minute")
	}
	return nil
}

// checkLock refuses a sign-in step to a locked account.
func (s *Server) checkLock(ctx context.Context, w http.ResponseWriter, a *domain.Agent) error {
	until, err := s.store.LockedUntil(ctx, a.ID)
	if err != nil {
		return err
	}
	if wait := until - s.limits.now().UnixMilli(); wait > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt((wait+999)/1000, 10))
		return errorf(http.StatusLocked, "account_locked", "this account is locked after too many failed sign-ins; try again in %d minutes, or ask an admin", (wait+59_999)/60_000)
	}
	return nil
}

// signInFailed counts a wrong password or code against the rate limits and
// the account's lockout; a failure that locks the account is audited and
// mailed to its owner.
func (s *Server) signInFailed(r *http.Request, a *domain.Agent, byAddress, byAccount, what string) error {
	s.limits.allow(byAddress, failedSignInsPerAddress, time.Minute)
	s.limits.allow(byAccount, failedSignInsPerAccount, time.Minute)
	if a != nil {
		ip := s.clientIP(r)
		until, err := s.store.RecordFailedSignIn(r.Context(), a.ID, ip, s.limits.now().UnixMilli(), lockout)
		if err != nil {
			return err
		}
		if until > 0 {
			if err := s.accountLocked(r.Context(), a, ip, until); err != nil {
				return err
			}
		}
	}
	return errorf(http.StatusUnauthorized, "bad_credentials", "%s", what)
}

// lockout locks an account for 15 minutes after 10 failed sign-ins in 15
// minutes, twice as long each time it happens again before the owner
// signs in, up to a day.
var lockout = store.Lockout{
	Failures: 10,
	Window:   (15 * time.Minute).Milliseconds(),
	Lock:     (15 * time.Minute).Milliseconds(),
	MaxLock:  (24 * time.Hour).Milliseconds(),
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var req loginRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	// Failures are counted per address and per account and address, so
	// that guessing slows the guesser down but never locks the owner out
	// of their account from where they work; the account's own lockout
	// stops guessing spread over many addresses.
	byAddress, byAccount := s.signInLimits(r, email)
	if err := s.checkSignInRate(w, byAddress, byAccount); err != nil {
		return err
	}
	const wrong = "e-mail or password is wrong"
	a, hash, err := s.store.AgentLogin(r.Context(), email)
	if errors.Is(err, domain.ErrNotFound) {
		secret.CheckNoPassword(req.Password)
		return s.signInFailed(r, nil, byAddress, byAccount, wrong)
	} else if err != nil {
		return err
	}
	if err := s.checkLock(r.Context(), w, a); err != nil {
		return err
	}
	if a.Disabled || !secret.CheckPassword(hash, req.Password) {
		return s.signInFailed(r, a, byAddress, byAccount, wrong)
	}
	if err := s.ssoAllowsPassword(a); err != nil {
		return err
	}
	if a.TwoFactor {
		// No session yet: the code comes first.
		tok := secret.Token("lkc")
		now := s.limits.now()
		expires := now.Add(challengeLifetime)
		if err := s.store.CreateChallenge(r.Context(), secret.Hash(tok), a.ID, now.UnixMilli(), expires.UnixMilli()); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"two_factor": map[string]any{"challenge": tok, "expires_at": expires.UnixMilli()}})
		return nil
	}
	return s.startSession(w, r, a)
}

// challengeLifetime is how long the code may follow the password.
const challengeLifetime = 5 * time.Minute

// newSession stores a new session of the agent and sets its cookie: the
// last step of every sign-in, by password and code or by single sign-on.
func (s *Server) newSession(w http.ResponseWriter, r *http.Request, agentID int64) error {
	tok := secret.Token("lks")
	expires := time.Now().Add(sessionLifetime)
	if _, err := s.store.CreateSession(r.Context(), store.NewSession{
		TokenHash: secret.Hash(tok), AgentID: agentID, ExpiresAt: expires.UnixMilli(), IP: s.clientIP(r), UserAgent: r.UserAgent(),
	}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// startSession signs an agent in whose credentials are checked: a new
// session and its cookie, and the notice of failed sign-ins since the
// last.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, a *domain.Agent) error {
	failures, err := s.store.TakeSignInFailures(r.Context(), a.ID)
	if err != nil {
		return err
	}
	if err := s.newSession(w, r, a.ID); err != nil {
		return err
	}
	answer := map[string]any{"agent": a}
	if failures.Count > 0 {
		// Tell the owner someone tried their account.
		answer["sign_in_failures"] = failures
	}
	if !a.TwoFactor {
		required, err := s.twoFactorRequired(r.Context(), a.Role)
		if err != nil {
			return err
		}
		answer["two_factor_required"] = required
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

// hashNewPassword checks password against the policy, knowing it is a's,
// and hashes it; a refused one is a weak_password error.
func hashNewPassword(password string, a *domain.Agent) (string, error) {
	if err := secret.CheckPasswordPolicy(password, a.Email, a.Name); err != nil {
		return "", domain.Invalid("weak_password", err.Error())
	}
	h, err := secret.HashPassword(password)
	if err != nil {
		return "", domain.Invalid("weak_password", err.Error())
	}
	return h, nil
}

// Failed sign-ins allowed a minute (with as many at once).
const (
	failedSignInsPerAddress = 10
	failedSignInsPerAccount = 5
)

func (s *Server) me(w http.ResponseWriter, _ *http.Request, p *principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"agent": p.agent, "two_factor_required": p.enrolOnly})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.session != "" {
		if err := s.store.DeleteSession(r.Context(), p.session); err != nil {
			return err
		}
	}
	if p.agent.ID != 0 && p.agent.Presence != domain.PresenceOffline {
		// Signing out ends the working day: no more pushed work, and the
		// team's grace period for returning held tickets starts.
		if _, err := s.desk.SetPresence(r.Context(), p.agent, domain.PresenceOffline); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type profileRequest struct {
	Name     *string `json:"name"`
	Language *string `json:"language"`
	Phone    *string `json:"phone"`
}

// updateProfile lets agents change their own name, interface language and
// phone;
// everything else about an agent is an admin's to change.
func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no profile")
	}
	var req profileRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if req.Name != nil && len(*req.Name) > 200 {
		return domain.Invalid("invalid_name", "name is longer than 200 bytes")
	}
	var a *domain.Agent
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if a, err = tx.Agent(r.Context(), p.agent.ID); err != nil {
			return err
		}
		change := agentRequest{Name: req.Name, Language: req.Language, Phone: req.Phone}
		if _, err := change.apply(a); err != nil {
			return err
		}
		return tx.UpdateAgent(r.Context(), a, "")
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": a})
	return nil
}

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no password")
	}
	var req passwordRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if !s.limits.allow("account:"+p.agent.Email, 5, time.Minute) {
		return errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute")
	}
	_, hash, err := s.store.AgentLogin(r.Context(), p.agent.Email)
	if err != nil {
		return err
	}
	if !secret.CheckPassword(hash, req.Current) {
		return errorf(http.StatusUnprocessableEntity, "bad_credentials", "the current password is wrong")
	}
	newHash, err := hashNewPassword(req.New, p.agent)
	if err != nil {
		return err
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.UpdateAgent(r.Context(), p.agent, newHash); err != nil {
			return err
		}
		// Other sessions end: a changed password must lock out whoever knew the old one.
		if _, err := tx.DeleteAgentSessions(r.Context(), p.agent.ID, p.session); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.password.change", p.agent.Email, "")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// limiter keeps a token bucket per key, forgetting idle keys. With shared
// set (PostgreSQL, several nodes) the counts are kept in the database, so
// that a client spreading its attempts over the nodes meets the same
// limit; should the database fail, this node's own count decides.
type limiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
	shared  *store.Store
	log     *slog.Logger
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter returns a limiter reading the time from now.
func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, buckets: map[string]*bucket{}, swept: now()}
}

// allow reports whether key may act now, at most n times per period.
func (l *limiter) allow(key string, n int, per time.Duration) bool {
	if ok, answered := l.ask((*store.Store).Allow, key, n, per); answered {
		return ok
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(key, n, per).lim.AllowN(l.now(), 1)
}

// exhausted reports whether key has used up its n acts per period, without
// counting this as one.
func (l *limiter) exhausted(key string, n int, per time.Duration) bool {
	if done, answered := l.ask((*store.Store).Exhausted, key, n, per); answered {
		return done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bucket(key, n, per).lim.TokensAt(l.now()) < 1
}

// ask puts a question about key's rate (n per period) to the shared
// counts; answered is false without them or when they fail.
func (l *limiter) ask(q func(*store.Store, context.Context, string, int64, int64, int64) (bool, error), key string, n int, per time.Duration) (v, answered bool) {
	if l.shared == nil {
		return false, false
	}
	v, err := q(l.shared, context.Background(), key, l.now().UnixMilli(), (per / time.Duration(n)).Milliseconds(), per.Milliseconds())
	if err != nil {
		l.log.Warn("shared rate limit unavailable; counting on this node", "err", err)
		return false, false
	}
	return v, true
}

// bucket returns key's bucket, made on first use; l.mu must be held.
func (l *limiter) bucket(key string, n int, per time.Duration) *bucket {
	now := l.now()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > per*2 {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(per/time.Duration(n)), n)}
		l.buckets[key] = b
	}
	b.seen = now
	return b
}
