package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestContacts_PerTeamScopeHidesCustomersOfOtherTeams(t *testing.T) {
	for _, scope := range []domain.ContactScope{domain.ContactsShared, domain.ContactsTeam} {
		t.Run(string(scope), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				e := newEnv(t, st, func(c *httpapi.Config) { c.Contacts = scope })
				var other domain.Team
				e.do("POST", "/api/v1/teams", e.token, `{"name":"Complaints"}`, 201, &other)
				e.do("POST", "/api/v1/agents", e.token, fmt.Sprintf(`{"email":"bo@example.com","name":"Bo","role":"agent","password":"bo-password-1","team_ids":[%d]}`, other.ID), 201, nil)
				jan := e.post(`{"external_id":"1","from":{"email":"jan@example.nl","name":"Jan"},"text":"help"}`, 201)
				var lone domain.Contact
				e.do("POST", "/api/v1/contacts", e.token, `{"name":"Lone","identities":[{"kind":"email","value":"lone@example.nl"}]}`, 201, &lone)
				bo := e.login("bo@example.com", "bo-password-1", 200)

				hidden := scope == domain.ContactsTeam
				status := map[bool]int{false: 200, true: 404}[hidden]
				send := func(method, path, body string, want int, out any) {
					t.Helper()
					req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					e.send(bo, req, want, out)
				}
				send("GET", fmt.Sprintf("/api/v1/contacts/%d", jan.Contact.ID), "", status, nil)
				send("GET", "/api/v1/contacts/by-number/"+jan.Contact.Number, "", status, nil)
				send("PATCH", fmt.Sprintf("/api/v1/contacts/%d", jan.Contact.ID), `{"name":"Jan B."}`, status, nil)
				send("GET", fmt.Sprintf("/api/v1/contacts/%d", lone.ID), "", 200, nil)

				var list struct{ Contacts []domain.Contact }
				send("GET", "/api/v1/contacts", "", 200, &list)
				if want := map[bool]int{false: 2, true: 1}[hidden]; len(list.Contacts) != want {
					t.Errorf("list has %d contacts, want %d", len(list.Contacts), want)
				}
				var found struct {
					Contacts []domain.Contact
					Exact    *struct{ Kind string }
				}
				send("GET", "/api/v1/search?q="+url.QueryEscape("jan@example.nl"), "", 200, &found)
				if (found.Exact != nil) == hidden {
					t.Errorf("search by address found %+v", found.Exact)
				}
				send("GET", "/api/v1/search?q=Jan", "", 200, &found)
				if (len(found.Contacts) == 0) != hidden {
					t.Errorf("search by name found %d contacts", len(found.Contacts))
				}
				// Supervisors and admins see every customer whatever the scope.
				e.do("GET", fmt.Sprintf("/api/v1/contacts/%d", jan.Contact.ID), e.token, "", 200, nil)
				e.do("POST", fmt.Sprintf("/api/v1/contacts/%d/merge", lone.ID), e.token, fmt.Sprintf(`{"contact_id":%d}`, jan.Contact.ID), 200, nil)
			})
		})
	}
}
