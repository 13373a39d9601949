// Package sso signs agents in with an OpenID Connect provider: it sends the
// browser to the provider with state, nonce and PKCE, takes the code back,
// verifies the ID token and says who signed in and in which groups. It does
// not know agents, sessions or the database: turning an identity into an
// agent, and a role and teams into changes, is the caller's.
package sso

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

// StateLifetime is how long a browser may take at the provider between
// leaving Loket and coming back.
const StateLifetime = 10 * time.Minute

// Config is a provider's settings.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is Loket's callback as registered at the provider.
	RedirectURL string
	// Scopes requested; "openid" is added when missing.
	Scopes []string
	// GroupsClaim names the claim listing the user's groups; a dotted
	// path (realm_access.roles) reaches into objects.
	GroupsClaim string
	// Label names the provider on the sign-in button.
	Label string
	// Roles maps a group to a role; an agent gets the highest of their
	// groups' roles. Empty: SSO leaves roles alone.
	Roles map[string]domain.Role
	// Teams maps a group to a team name; SSO adds agents to the mapped
	// teams of their groups and removes them from the other mapped teams.
	Teams map[string]string
	// Provision creates an agent on first sign-in; otherwise the agent
	// must exist with the same e-mail address.
	Provision bool
	// PasswordSignIn lets agents other than admins still sign in with a
	// password.
	PasswordSignIn bool
	// Key seals the state kept in the browser between leaving and
	// coming back (derived from Loket's secret key, the same on every
	// node).
	Key []byte
	// Client calls the provider; a client with a timeout when nil.
	Client *http.Client
	// Now is the clock for the state's and the ID token's expiry.
	Now func() time.Time
}

// Provider is one configured OpenID provider. Discovery happens on first
// use, so that Loket starts while the provider is down.
type Provider struct {
	cfg Config
	box *secret.Box

	mu         sync.Mutex
	discovered *oidc.Provider
}

// New returns a provider for cfg.
func New(cfg Config) (*Provider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("sso: issuer, client id and redirect URL are required")
	}
	if len(cfg.Key) == 0 {
		return nil, errors.New("sso: a key is required")
	}
	// A key of its own, so that a state cookie never opens as anything
	// else sealed with Loket's key.
	mac := hmac.New(sha256.New, cfg.Key)
	mac.Write([]byte("loket sso state"))
	box, err := secret.NewBox(mac.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("sso: %w", err)
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.Label == "" {
		cfg.Label = "SSO"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg, box: box}, nil
}

// Label names the provider for the sign-in button.
func (p *Provider) Label() string { return p.cfg.Label }

// Issuer is the provider's issuer URL, which with the subject names a user.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Provision reports whether unknown users become agents on first sign-in.
func (p *Provider) Provision() bool { return p.cfg.Provision }

// PasswordSignIn reports whether agents other than admins may still sign
// in with a password.
func (p *Provider) PasswordSignIn() bool { return p.cfg.PasswordSignIn }

// Error is a refused sign-in: the status to answer, a machine-readable
// code and what went wrong.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func refuse(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (p *Provider) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.Client)
}

// provider discovers the provider's endpoints and keys once.
func (p *Provider) provider(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discovered != nil {
		return p.discovered, nil
	}
	// The provider keeps the client, not the request's context, for its
	// key set, which it fetches again only for a key it does not know.
	op, err := oidc.NewProvider(p.context(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, refuse(http.StatusBadGateway, "sso_unavailable", "the sign-in provider cannot be reached: %v", err)
	}
	p.discovered = op
	return op, nil
}

func (p *Provider) oauth(op *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: p.cfg.Scopes,
	}
}

// state is what the browser keeps, sealed, while at the provider.
type state struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"` // Unix milliseconds
}

// Begin returns the provider's address to send the browser to and the
// sealed state to keep in a cookie until it comes back.
func (p *Provider) Begin(ctx context.Context) (redirect, sealed string, err error) {
	op, err := p.provider(ctx)
	if err != nil {
		return "", "", err
	}
	st := state{
		State: secret.Token("st"), Nonce: secret.Token("nc"), Verifier: oauth2.GenerateVerifier(),
		Expires: p.cfg.Now().Add(StateLifetime).UnixMilli(),
	}
	b, _ := json.Marshal(st)
	redirect = p.oauth(op).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return redirect, p.box.Seal(b), nil
}

// Identity is who signed in, as the provider says.
type Identity struct {
	Subject string
	Email   string
	Name    string
	Groups  []string
}

// Finish checks the provider's answer (the callback's query) against the
// sealed state, exchanges the code, verifies the ID token and returns who
// signed in. Every refusal is an *Error.
func (p *Provider) Finish(ctx context.Context, sealed string, query url.Values) (*Identity, error) {
	var st state
	plain, err := p.box.Open(sealed)
	if sealed == "" || err != nil || json.Unmarshal(plain, &st) != nil {
		return nil, refuse(http.StatusBadRequest, "sso_state_missing", "the sign-in was not started here or its cookie is gone; start again")
	}
	if p.cfg.Now().UnixMilli() > st.Expires {
		return nil, refuse(http.StatusBadRequest, "sso_state_expired", "the sign-in took longer than %v; start again", StateLifetime)
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(st.State)) != 1 {
		return nil, refuse(http.StatusBadRequest, "sso_state_mismatch", "the provider's answer does not belong to this sign-in; start again")
	}
	if e := query.Get("error"); e != "" {
		return nil, refuse(http.StatusUnauthorized, "sso_denied", "the provider refused the sign-in: %s %s", e, query.Get("error_description"))
	}
	code := query.Get("code")
	if code == "" {
		return nil, refuse(http.StatusBadRequest, "sso_no_code", "the provider's answer has no code")
	}
	op, err := p.provider(ctx)
	if err != nil {
		return nil, err
	}
	ctx = p.context(ctx)
	tok, err := p.oauth(op).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, refuse(http.StatusUnauthorized, "sso_code_rejected", "the provider did not accept the code (used before, or expired): %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return nil, refuse(http.StatusBadGateway, "sso_unavailable", "the sign-in provider cannot be reached: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse(http.StatusBadGateway, "sso_no_id_token", "the provider sent no ID token; is the openid scope allowed?")
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		return nil, refuse(http.StatusUnauthorized, "sso_token_invalid", "the provider's ID token is not valid for Loket: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return nil, refuse(http.StatusUnauthorized, "sso_nonce_mismatch", "the ID token was not issued for this sign-in")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, refuse(http.StatusUnauthorized, "sso_token_invalid", "the access token does not match the ID token")
		}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, refuse(http.StatusUnauthorized, "sso_token_invalid", "the ID token's claims cannot be read: %v", err)
	}
	// In the code flow many providers put e-mail, name and groups in
	// the user info only; the ID token's own claims win.
	if op.UserInfoEndpoint() != "" {
		info, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, refuse(http.StatusBadGateway, "sso_unavailable", "the provider's user info cannot be read: %v", err)
		}
		if info.Subject != idt.Subject {
			return nil, refuse(http.StatusUnauthorized, "sso_token_invalid", "the user info is about someone else than the ID token")
		}
		more := map[string]any{}
		if err := info.Claims(&more); err == nil {
			for k, v := range more {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	return p.identity(idt.Subject, claims)
}

// identity reads who signed in from the claims.
func (p *Provider) identity(subject string, claims map[string]any) (*Identity, error) {
	id := &Identity{Subject: subject}
	id.Email, _ = claims["email"].(string)
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	switch v := claims["email_verified"].(type) {
	case nil:
	case bool:
		if !v {
			return nil, refuse(http.StatusForbidden, "sso_email_unverified", "the provider has not verified %s; verify it there first", id.Email)
		}
	case string: // some providers send "true"
		if v != "true" {
			return nil, refuse(http.StatusForbidden, "sso_email_unverified", "the provider has not verified %s; verify it there first", id.Email)
		}
	}
	for _, k := range []string{"name", "preferred_username"} {
		if s, _ := claims[k].(string); strings.TrimSpace(s) != "" {
			id.Name = strings.TrimSpace(s)
			break
		}
	}
	id.Groups = Groups(claims, p.cfg.GroupsClaim)
	return id, nil
}

// Groups reads the group names from the claim named by path: a list of
// strings or one string; a dotted path reaches into objects when no claim
// has the whole name.
func Groups(claims map[string]any, path string) []string {
	v, ok := claims[path]
	if !ok {
		var cur any = claims
		for part := range strings.SplitSeq(path, ".") {
			m, _ := cur.(map[string]any)
			cur = m[part]
		}
		v = cur
	}
	var out []string
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// Grants are what an identity's groups give.
type Grants struct {
	// Role is the highest role of the groups; "" when no role is
	// mapped at all, leaving roles to admins.
	Role domain.Role
	// Teams says, for each mapped team name, whether the agent belongs.
	Teams map[string]bool
}

var roleRank = map[domain.Role]int{domain.RoleAgent: 1, domain.RoleSupervisor: 2, domain.RoleAdmin: 3}

// Grants returns the role and teams groups give.
func (p *Provider) Grants(groups []string) Grants {
	g := Grants{Teams: map[string]bool{}}
	if len(p.cfg.Roles) > 0 {
		g.Role = domain.RoleAgent
		for _, grp := range groups {
			if r, ok := p.cfg.Roles[grp]; ok && roleRank[r] > roleRank[g.Role] {
				g.Role = r
			}
		}
	}
	for _, team := range p.cfg.Teams {
		g.Teams[team] = false
	}
	for _, grp := range groups {
		if team, ok := p.cfg.Teams[grp]; ok {
			g.Teams[team] = true
		}
	}
	return g
}

// ParseMapping reads "group=value,group=value" (LOKET_OIDC_ROLES,
// LOKET_OIDC_TEAMS); spaces around names are dropped.
func ParseMapping(s string) (map[string]string, error) {
	out := map[string]string{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%q: want group=value", item)
		}
		out[k] = v
	}
	return out, nil
}

// ParseRoles reads a group-to-role mapping, checking the roles.
func ParseRoles(s string) (map[string]domain.Role, error) {
	m, err := ParseMapping(s)
	if err != nil {
		return nil, err
	}
	out := map[string]domain.Role{}
	for k, v := range m {
		r := domain.Role(v)
		if !r.Valid() {
			return nil, fmt.Errorf("%s=%s: the role must be admin, supervisor or agent", k, v)
		}
		out[k] = r
	}
	return out, nil
}
