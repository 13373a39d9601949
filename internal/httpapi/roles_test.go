package httpapi_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// TestRoutes_EveryRouteRefusesWhoMayNotCallIt walks the route table: each
// route refuses callers without credentials (401) and callers whose role
// or token scope is below its access (403), before it reads anything.
func TestRoutes_EveryRouteRefusesWhoMayNotCallIt(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	e := newEnv(t, st)
	ctx := context.Background()
	token := func(role domain.Role, scope string) string {
		tok := secret.Token("lkt")
		if err := st.CreateAPIToken(ctx, &store.APIToken{Name: string(role) + scope, Role: role, Scope: scope}, secret.Hash(tok)); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	callers := map[string]string{
		"agent":      token(domain.RoleAgent, ""),
		"supervisor": token(domain.RoleSupervisor, ""),
		"events":     token(domain.RoleAdmin, store.ScopeEvents),
	}
	// Who may not call a route of each access, and the status they get.
	refused := map[string][]string{
		"agent":      {"events"},
		"supervisor": {"agent", "events"},
		"admin":      {"agent", "supervisor", "events"},
		"events":     {"agent", "supervisor"},
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	routes := httpapi.RouteAccess()
	if len(routes) < 100 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	checked := 0
	for _, rt := range routes {
		method, path, access := rt[0], param.ReplaceAllString(rt[1], "1"), rt[2]
		if access == "public" {
			continue
		}
		call := func(tok string, want int) {
			t.Helper()
			req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s %s (%s) as %q: %d, want %d", method, rt[1], access, tok[:min(len(tok), 4)], resp.StatusCode, want)
			}
			checked++
		}
		call("", http.StatusUnauthorized)
		for _, who := range refused[access] {
			call(callers[who], http.StatusForbidden)
		}
	}
	t.Logf("%d routes, %d refusals checked", len(routes), checked)
}
