package main

import (
	"strings"
	"testing"
)

func TestConfig_SingleSignOnIsCheckedAtStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		err  string // part of the error; "" for none
	}{
		{"off", map[string]string{}, ""},
		{"on", map[string]string{"LOKET_OIDC_ISSUER": "https://id.example.com/realms/staff", "LOKET_OIDC_CLIENT_ID": "loket",
			"LOKET_OIDC_ROLES": "loket-admins=admin", "LOKET_OIDC_TEAMS": "support=Support"}, ""},
		{"no client", map[string]string{"LOKET_OIDC_ISSUER": "https://id.example.com"}, "LOKET_OIDC_CLIENT_ID"},
		{"not a URL", map[string]string{"LOKET_OIDC_ISSUER": "id.example.com", "LOKET_OIDC_CLIENT_ID": "loket"}, "LOKET_OIDC_ISSUER"},
		{"unknown role", map[string]string{"LOKET_OIDC_ISSUER": "https://id.example.com", "LOKET_OIDC_CLIENT_ID": "loket",
			"LOKET_OIDC_ROLES": "loket-admins=root"}, "LOKET_OIDC_ROLES"},
		{"half a team", map[string]string{"LOKET_OIDC_ISSUER": "https://id.example.com", "LOKET_OIDC_CLIENT_ID": "loket",
			"LOKET_OIDC_TEAMS": "support"}, "LOKET_OIDC_TEAMS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"LOKET_OIDC_ISSUER", "LOKET_OIDC_CLIENT_ID", "LOKET_OIDC_ROLES", "LOKET_OIDC_TEAMS"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := serveConfig(nil)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !c.OIDC.Provision || !c.OIDC.PasswordSignIn || c.OIDC.Scopes != "openid email profile" || c.OIDC.GroupsClaim != "groups" {
					t.Fatalf("defaults %+v", c.OIDC)
				}
				p, err := c.OIDC.provider("https://loket.example.com/api/v1/sso/callback", make([]byte, 32))
				if err != nil || (p == nil) != (tc.name == "off") {
					t.Fatalf("provider %v %v", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one about %s", err, tc.err)
			}
		})
	}
}
