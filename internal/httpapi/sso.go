package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sso"
	"loket.dev/loket/internal/store"
)

// ssoCookie keeps the sealed state while the browser is at the provider.
const (
	ssoCookie     = "loket_sso"
	ssoCookiePath = "/api/v1/sso/"
)

// ssoInfo tells the sign-in page whether to offer single sign-on.
func (s *Server) ssoInfo(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	if s.sso == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false, "password_sign_in": true})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"enabled": true, "label": s.sso.Label(), "login_url": "/api/v1/sso/login",
		"password_sign_in": s.sso.PasswordSignIn(),
	})
	return nil
}

func ssoOff() error {
	return errorf(http.StatusNotFound, "sso_off", "single sign-on is not configured; set LOKET_OIDC_ISSUER")
}

// ssoLogin sends the browser to the provider, keeping state, nonce and
// PKCE verifier sealed in a short-lived cookie.
func (s *Server) ssoLogin(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if s.sso == nil {
		return ssoOff()
	}
	redirect, sealed, err := s.sso.Begin(r.Context())
	if err != nil {
		return s.ssoRefused(w, r, ssoError(err))
	}
	http.SetCookie(w, &http.Cookie{
		Name: ssoCookie, Value: sealed, Path: ssoCookiePath, MaxAge: int(sso.StateLifetime / time.Second),
		// Lax: the provider's redirect back is a top-level navigation
		// from another site.
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, redirect, http.StatusFound)
	return nil
}

// ssoCallback takes the provider's answer, finds or creates the agent,
// applies the roles and teams of their groups and starts a session.
// Browsers are sent back to the app, refusals to /login?sso_error=code; other
// clients get the error as JSON.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if s.sso == nil {
		return ssoOff()
	}
	sealed := ""
	if c, err := r.Cookie(ssoCookie); err == nil {
		sealed = c.Value
	}
	// The state serves one answer, whatever it is.
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: ssoCookiePath, MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	if err := s.ssoSignIn(w, r, sealed); err != nil {
		return s.ssoRefused(w, r, err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// ssoRefused logs a refused single sign-on and sends a browser back to
// the sign-in page with the code; other clients get the error.
func (s *Server) ssoRefused(w http.ResponseWriter, r *http.Request, err error) error {
	var he *httpError
	var de *domain.Error
	code := "" // none: a fault of ours, answered 500 and logged
	if errors.As(err, &he) {
		code = he.code
	} else if errors.As(err, &de) {
		code = de.Code
	}
	if code != "" {
		s.log.Info("single sign-on refused", "code", code, "reason", err.Error(), "ip", s.clientIP(r))
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/login?sso_error="+url.QueryEscape(code), http.StatusSeeOther)
			return nil
		}
	}
	return err
}

func ssoError(err error) error {
	var se *sso.Error
	if errors.As(err, &se) {
		return errorf(se.Status, se.Code, "%s", se.Message)
	}
	return err
}

func (s *Server) ssoSignIn(w http.ResponseWriter, r *http.Request, sealed string) error {
	ctx := r.Context()
	id, err := s.sso.Finish(ctx, sealed, r.URL.Query())
	if err != nil {
		return ssoError(err)
	}
	ip := s.clientIP(r)
	grants := s.sso.Grants(id.Groups)
	var a *domain.Agent
	var changed bool
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		var created bool
		a, created, err = s.ssoAgent(ctx, tx, id, grants, ip)
		if err != nil {
			return err
		}
		if a.Disabled {
			return errorf(http.StatusForbidden, "agent_disabled", "your Loket account is disabled; ask an admin")
		}
		if changed, err = s.ssoApplyGrants(ctx, tx, a, grants, ip); err != nil {
			return err
		}
		changed = changed || created
		return tx.Audit(ctx, a.Name, "sso.sign_in", a.Email, ip)
	})
	if err != nil {
		return err
	}
	if changed {
		s.hub.Drop(a.ID) // open streams were authorised with the old rights
		s.desk.AgentsChanged(ctx, a.ID)
	}
	return s.newSession(w, r, a.ID)
}

// ssoAgent finds the agent by the provider's subject, or by e-mail the
// first time (linking the subject), or creates one when provisioning is on.
func (s *Server) ssoAgent(ctx context.Context, tx *store.Store, id *sso.Identity, g sso.Grants, ip string) (a *domain.Agent, created bool, err error) {
	issuer := s.sso.Issuer()
	a, err = tx.AgentByOIDC(ctx, issuer, id.Subject)
	if err == nil || !errors.Is(err, domain.ErrNotFound) {
		return a, false, err
	}
	if id.Email == "" {
		return nil, false, errorf(http.StatusForbidden, "sso_no_email", "the provider sent no e-mail address; allow the email scope for Loket")
	}
	a, _, err = tx.AgentLogin(ctx, id.Email)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		if !s.sso.Provision() {
			return nil, false, errorf(http.StatusForbidden, "sso_unknown_agent", "no agent has the e-mail address %s; ask an admin to add you", id.Email)
		}
		email, err := domain.NormalizeEmail(id.Email)
		if err != nil {
			return nil, false, err
		}
		a = &domain.Agent{Email: email, Name: id.Name, Role: domain.RoleAgent, Language: "en"}
		if a.Name == "" {
			a.Name = email
		}
		if g.Role != "" {
			a.Role = g.Role
		}
		// No password: the agent signs in at the provider.
		if err := tx.CreateAgent(ctx, a, ""); err != nil {
			return nil, false, err
		}
		a.TeamIDs = []int64{}
		if err := tx.Audit(ctx, "single sign-on", "agent.create", a.Email, fmt.Sprintf("%s, from %s", a.Role, ip)); err != nil {
			return nil, false, err
		}
		created = true
	case err != nil:
		return nil, false, err
	default:
		// Linked to another user at this provider: the address moved
		// from one account to another there; an admin sorts it out. A
		// link to another provider is replaced, as when moving providers.
		if iss, sub, err := tx.AgentOIDC(ctx, a.ID); err != nil {
			return nil, false, err
		} else if sub != "" && iss == issuer {
			return nil, false, errorf(http.StatusForbidden, "sso_subject_mismatch", "the agent with e-mail %s signs in as another user at the provider", id.Email)
		}
	}
	if err := tx.LinkOIDC(ctx, a.ID, issuer, id.Subject); err != nil {
		return nil, false, err
	}
	return a, created, nil
}

// ssoApplyGrants gives a the role of its groups and adds it to or removes
// it from the mapped teams, writing each change to the audit log.
func (s *Server) ssoApplyGrants(ctx context.Context, tx *store.Store, a *domain.Agent, g sso.Grants, ip string) (changed bool, err error) {
	if g.Role != "" && g.Role != a.Role {
		was := a.Role
		a.Role = g.Role
		if err := tx.UpdateAgent(ctx, a, ""); err != nil {
			return false, err
		}
		if err := tx.Audit(ctx, "single sign-on", "agent.role", a.Email, fmt.Sprintf("%s → %s, from %s", was, a.Role, ip)); err != nil {
			return false, err
		}
		changed = true
	}
	if len(g.Teams) == 0 {
		return changed, nil
	}
	teams, err := tx.Teams(ctx)
	if err != nil {
		return false, err
	}
	ids := slices.Clone(a.TeamIDs)
	var joined, left []string
	found := map[string]bool{}
	for _, t := range teams {
		member, mapped := g.Teams[t.Name]
		if !mapped {
			continue
		}
		found[t.Name] = true
		in := slices.Contains(ids, t.ID)
		switch {
		case member && !in:
			ids = append(ids, t.ID)
			joined = append(joined, t.Name)
		case !member && in:
			ids = slices.DeleteFunc(ids, func(id int64) bool { return id == t.ID })
			left = append(left, t.Name)
		}
	}
	for name, member := range g.Teams {
		if member && !found[name] {
			s.log.Warn("LOKET_OIDC_TEAMS names a team that does not exist; create it or correct the mapping", "team", name, "agent", a.Email)
		}
	}
	if len(joined)+len(left) == 0 {
		return changed, nil
	}
	slices.Sort(ids)
	if err := tx.SetAgentTeams(ctx, a.ID, ids); err != nil {
		return false, err
	}
	a.TeamIDs = ids
	detail := fmt.Sprintf("joined %s; left %s; from %s", orNone(joined), orNone(left), ip)
	if err := tx.Audit(ctx, "single sign-on", "agent.teams", a.Email, detail); err != nil {
		return false, err
	}
	return true, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// ssoAllowsPassword refuses password sign-in to agents other than admins
// when single sign-on is on and password sign-in is turned off; admins
// keep it, so that a broken provider cannot lock everyone out.
func (s *Server) ssoAllowsPassword(a *domain.Agent) error {
	if s.sso == nil || s.sso.PasswordSignIn() || a.Role == domain.RoleAdmin {
		return nil
	}
	return errorf(http.StatusForbidden, "sso_required", "sign in with %s", s.sso.Label())
}
