package main

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sso"
)

// ssoConfig is single sign-on's part of the configuration (LOKET_OIDC_…).
// It is read from the environment rather than kept in the database: a
// client secret belongs with the other secrets of the deployment, and an
// admin cannot lock everyone out from inside the app.
type ssoConfig struct {
	Issuer         string
	ClientID       string
	ClientSecret   string
	Scopes         string
	GroupsClaim    string
	Roles          string
	Teams          string
	Label          string
	Provision      bool
	PasswordSignIn bool

	// Parsed by check.
	roles map[string]domain.Role
	teams map[string]string
}

func (c *ssoConfig) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.Issuer, "oidc-issuer", env("LOKET_OIDC_ISSUER", ""), "OpenID Connect issuer URL for single sign-on; empty disables it (LOKET_OIDC_ISSUER)")
	fs.StringVar(&c.ClientID, "oidc-client-id", env("LOKET_OIDC_CLIENT_ID", ""), "client id registered at the OpenID provider (LOKET_OIDC_CLIENT_ID)")
	fs.StringVar(&c.ClientSecret, "oidc-client-secret", env("LOKET_OIDC_CLIENT_SECRET", ""), "client secret; prefer the environment variable (LOKET_OIDC_CLIENT_SECRET)")
	fs.StringVar(&c.Scopes, "oidc-scopes", env("LOKET_OIDC_SCOPES", "openid email profile"), "scopes to request, space-separated (LOKET_OIDC_SCOPES)")
	fs.StringVar(&c.GroupsClaim, "oidc-groups-claim", env("LOKET_OIDC_GROUPS_CLAIM", "groups"), "claim listing the user's groups; a dotted path reaches into objects (LOKET_OIDC_GROUPS_CLAIM)")
	fs.StringVar(&c.Roles, "oidc-roles", env("LOKET_OIDC_ROLES", ""), "groups giving roles, such as loket-admins=admin,loket-supervisors=supervisor; empty leaves roles to admins (LOKET_OIDC_ROLES)")
	fs.StringVar(&c.Teams, "oidc-teams", env("LOKET_OIDC_TEAMS", ""), "groups giving team membership, such as support=Support,complaints=Complaints (LOKET_OIDC_TEAMS)")
	fs.StringVar(&c.Label, "oidc-label", env("LOKET_OIDC_LABEL", "SSO"), "provider name on the sign-in button, such as Keycloak (LOKET_OIDC_LABEL)")
	provision, _ := strconv.ParseBool(env("LOKET_OIDC_PROVISION", "true"))
	fs.BoolVar(&c.Provision, "oidc-provision", provision, "create agents on their first single sign-on; off, the agent must exist with the same e-mail (LOKET_OIDC_PROVISION)")
	passwords, _ := strconv.ParseBool(env("LOKET_OIDC_PASSWORD_SIGNIN", "true"))
	fs.BoolVar(&c.PasswordSignIn, "oidc-password-signin", passwords, "with single sign-on on, let agents other than admins still sign in with a password (LOKET_OIDC_PASSWORD_SIGNIN)")
}

// check parses and checks the settings when single sign-on is on.
func (c *ssoConfig) check() error {
	if c.Issuer == "" {
		return nil
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("LOKET_OIDC_ISSUER %q: want the provider's URL, such as https://id.example.com/realms/staff", c.Issuer)
	}
	if c.ClientID == "" {
		return fmt.Errorf("LOKET_OIDC_CLIENT_ID: required with LOKET_OIDC_ISSUER")
	}
	if c.roles, err = sso.ParseRoles(c.Roles); err != nil {
		return fmt.Errorf("LOKET_OIDC_ROLES: %w", err)
	}
	if c.teams, err = sso.ParseMapping(c.Teams); err != nil {
		return fmt.Errorf("LOKET_OIDC_TEAMS: %w", err)
	}
	return nil
}

// provider returns the configured provider, nil when LOKET_OIDC_ISSUER is
// empty; callback is Loket's public callback URL and key its secret key.
func (c *ssoConfig) provider(callback string, key []byte) (*sso.Provider, error) {
	if c.Issuer == "" {
		return nil, nil
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return sso.New(sso.Config{
		Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: callback, Scopes: strings.Fields(c.Scopes), GroupsClaim: c.GroupsClaim, Label: c.Label,
		Roles: c.roles, Teams: c.teams, Provision: c.Provision, PasswordSignIn: c.PasswordSignIn, Key: key,
	})
}
