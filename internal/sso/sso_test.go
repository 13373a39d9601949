package sso

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"loket.dev/loket/internal/domain"
)

func TestParseMapping_ReadsPairsAndRefusesHalfOnes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{"", map[string]string{}, true},
		{"support=Support, complaints = Complaints ,", map[string]string{"support": "Support", "complaints": "Complaints"}, true},
		{"cn=x,ou=y=Team", map[string]string{"cn": "x", "ou": "y=Team"}, true},
		{"support", nil, false},
		{"=Support", nil, false},
		{"support=", nil, false},
	} {
		got, err := ParseMapping(tc.in)
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != fmt.Sprint(tc.want)) {
			t.Errorf("%q: %v %v, want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseRoles_OnlyKnownRoles(t *testing.T) {
	if m, err := ParseRoles("loket-admins=admin,loket-supervisors=supervisor"); err != nil || m["loket-admins"] != domain.RoleAdmin {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := ParseRoles("loket-admins=root"); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestGroups_ReadsListsStringsAndDottedPaths(t *testing.T) {
	var claims map[string]any
	json.Unmarshal([]byte(`{"groups":["a","b",3],"single":"x","realm_access":{"roles":["r1"]},"https://example.com/groups":["u"]}`), &claims)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"groups", []string{"a", "b"}},
		{"single", []string{"x"}},
		{"realm_access.roles", []string{"r1"}},
		{"https://example.com/groups", []string{"u"}},
		{"missing", nil},
		{"single.deeper", nil},
	} {
		if got := Groups(claims, tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestGrants_HighestRoleAndEveryMappedTeam(t *testing.T) {
	p, err := New(Config{Issuer: "https://id.example", ClientID: "loket", RedirectURL: "https://loket.example/cb", Key: []byte("k"),
		Roles: map[string]domain.Role{"admins": domain.RoleAdmin, "sups": domain.RoleSupervisor},
		Teams: map[string]string{"support": "Support", "complaints": "Complaints"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		groups []string
		role   domain.Role
		teams  string
	}{
		{nil, domain.RoleAgent, "map[Complaints:false Support:false]"},
		{[]string{"sups", "support"}, domain.RoleSupervisor, "map[Complaints:false Support:true]"},
		{[]string{"sups", "admins", "complaints", "support"}, domain.RoleAdmin, "map[Complaints:true Support:true]"},
	} {
		g := p.Grants(tc.groups)
		if g.Role != tc.role || fmt.Sprint(g.Teams) != tc.teams {
			t.Errorf("%v: %s %v, want %s %s", tc.groups, g.Role, g.Teams, tc.role, tc.teams)
		}
	}
	// Without role mappings SSO leaves roles alone.
	p.cfg.Roles = nil
	if g := p.Grants([]string{"admins"}); g.Role != "" {
		t.Fatalf("role %q without mappings", g.Role)
	}
}

func TestIdentity_RequiresVerifiedEmailWhenTheClaimIsThere(t *testing.T) {
	p, _ := New(Config{Issuer: "https://id.example", ClientID: "loket", RedirectURL: "https://loket.example/cb", Key: []byte("k")})
	for _, tc := range []struct {
		claims string
		email  string
		code   string
	}{
		{`{"email":" Ann@Example.com","name":"Ann"}`, "ann@example.com", ""},
		{`{"email":"ann@example.com","email_verified":true}`, "ann@example.com", ""},
		{`{"email":"ann@example.com","email_verified":"true"}`, "ann@example.com", ""},
		{`{"email":"ann@example.com","email_verified":false}`, "", "sso_email_unverified"},
		{`{"email":"ann@example.com","email_verified":"false"}`, "", "sso_email_unverified"},
	} {
		var claims map[string]any
		json.Unmarshal([]byte(tc.claims), &claims)
		id, err := p.identity("sub", claims)
		if tc.code != "" {
			if e, ok := err.(*Error); !ok || e.Code != tc.code || e.Status != http.StatusForbidden {
				t.Errorf("%s: %v, want %s", tc.claims, err, tc.code)
			}
			continue
		}
		if err != nil || id.Email != tc.email {
			t.Errorf("%s: %+v %v", tc.claims, id, err)
		}
	}
}

func TestNew_RequiresIssuerClientAndKeyAndAddsOpenID(t *testing.T) {
	if _, err := New(Config{Issuer: "https://id.example", RedirectURL: "x", Key: []byte("k")}); err == nil {
		t.Fatal("no client id accepted")
	}
	if _, err := New(Config{Issuer: "https://id.example", ClientID: "c", RedirectURL: "x"}); err == nil {
		t.Fatal("no key accepted")
	}
	p, _ := New(Config{Issuer: "https://id.example", ClientID: "c", RedirectURL: "x", Key: []byte("k"), Scopes: []string{"email"}})
	if !slices.Equal(p.cfg.Scopes, []string{"openid", "email"}) || p.cfg.GroupsClaim != "groups" {
		t.Fatalf("%+v", p.cfg)
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add("loket-admins=admin,loket-supervisors=supervisor")
	f.Add("a=b=c,,=,x")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMapping(s)
		if err != nil {
			return
		}
		for k, v := range m {
			if k == "" || v == "" {
				t.Fatalf("empty name in %q: %q=%q", s, k, v)
			}
		}
	})
}

func FuzzGroups(f *testing.F) {
	f.Add(`{"groups":["a","b"]}`, "groups")
	f.Add(`{"realm_access":{"roles":["r"]}}`, "realm_access.roles")
	f.Add(`{"a":{"b":"c"}}`, "a.b.c.d")
	f.Fuzz(func(t *testing.T, doc, path string) {
		var claims map[string]any
		if json.Unmarshal([]byte(doc), &claims) != nil {
			return
		}
		Groups(claims, path)
	})
}
