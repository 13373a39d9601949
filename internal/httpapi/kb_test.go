package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// agentToken makes an API token of an agent in no team.
func (e *env) agentToken() string {
	e.t.Helper()
	tok := secret.Token("lkt")
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{Name: "agent", Role: domain.RoleAgent}, secret.Hash(tok)); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type hitsAnswer struct {
	Hits []domain.ArticleHit `json:"hits"`
}

func TestKB_SupervisorsWriteAgentsReadAndSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		agent := e.agentToken()

		var root, sub domain.KBCategory
		e.do("POST", "/api/v1/kb/categories", e.token, `{"names":{"en":"Orders","nl":"Bestellingen"}}`, 201, &root)
		e.do("POST", "/api/v1/kb/categories", e.token, fmt.Sprintf(`{"parent_id":%d,"position":1,"names":{"en":"Returns"}}`, root.ID), 201, &sub)
		if root.Slug != "orders" || sub.ParentID != root.ID {
			t.Fatalf("categories %+v %+v", root, sub)
		}
		e.do("POST", "/api/v1/kb/categories", agent, `{"names":{"en":"Mine"}}`, 403, nil)
		e.do("PUT", fmt.Sprintf("/api/v1/kb/categories/%d", root.ID), e.token, fmt.Sprintf(`{"parent_id":%d,"names":{"en":"Orders"}}`, sub.ID), 422, nil)

		var a domain.Article
		e.do("POST", "/api/v1/kb/articles", e.token, fmt.Sprintf(`{"category_id":%d,"language":"en","title":"How do I return an item?",
			"summary":"Return within 30 days.","keywords":["return","refund"],"body":"Print the **label**.","status":"published"}`, sub.ID), 201, &a)
		if a.URL != fmt.Sprintf("/help/en/articles/%d-how-do-i-return-an-item", a.ID) || a.PublishedAt == 0 {
			t.Fatalf("created %+v", a)
		}
		var draft domain.Article
		e.do("POST", "/api/v1/kb/articles", e.token, `{"language":"en","title":"Returns policy draft","body":"Not yet."}`, 201, &draft)
		e.do("POST", "/api/v1/kb/articles", agent, `{"language":"en","title":"x"}`, 403, nil)

		var got domain.Article
		e.do("GET", fmt.Sprintf("/api/v1/kb/articles/%d", a.ID), agent, "", 200, &got)
		if got.Body != "Print the **label**." || got.Status != domain.ArticlePublished {
			t.Errorf("get %+v", got)
		}
		var list struct{ Articles []domain.Article }
		e.do("GET", "/api/v1/kb/articles?language=en", agent, "", 200, &list)
		if len(list.Articles) != 2 || list.Articles[0].Body != "" {
			t.Errorf("list %+v: want both articles without body", list.Articles)
		}
		e.do("GET", "/api/v1/kb/articles?q=returns+policy", agent, "", 200, &list)
		if len(list.Articles) == 0 || list.Articles[0].ID != draft.ID {
			t.Errorf("agents' text list must include drafts: %+v", list.Articles)
		}
		e.do("GET", "/api/v1/kb/articles?status=published&category_id="+fmt.Sprint(sub.ID), agent, "", 200, &list)
		if len(list.Articles) != 1 || list.Articles[0].ID != a.ID {
			t.Errorf("filtered list %+v", list.Articles)
		}

		var hits hitsAnswer
		e.do("GET", "/api/v1/kb/search?language=en&q="+url.QueryEscape("how can I retrun my item"), agent, "", 200, &hits)
		if len(hits.Hits) != 1 || hits.Hits[0].Article.ID != a.ID || hits.Hits[0].Article.Body != "" || hits.Hits[0].Snippet == "" {
			t.Errorf("search hits %+v", hits.Hits)
		}

		e.do("PUT", fmt.Sprintf("/api/v1/kb/articles/%d", a.ID), e.token,
			fmt.Sprintf(`{"category_id":%d,"language":"en","title":"Returning an item","status":"draft"}`, sub.ID), 200, &got)
		if got.PublishedAt != a.PublishedAt || got.Slug != "returning-an-item" {
			t.Errorf("after update %+v", got)
		}
		e.do("PUT", "/api/v1/kb/articles/9999", e.token, `{"language":"en","title":"x"}`, 404, nil)
		e.do("DELETE", fmt.Sprintf("/api/v1/kb/categories/%d", sub.ID), e.token, "", 422, nil)
		e.do("DELETE", fmt.Sprintf("/api/v1/kb/articles/%d", a.ID), e.token, "", 204, nil)
		e.do("DELETE", fmt.Sprintf("/api/v1/kb/articles/%d", a.ID), e.token, "", 404, nil)
		e.do("DELETE", fmt.Sprintf("/api/v1/kb/categories/%d", sub.ID), e.token, "", 204, nil)

		var cats struct{ Categories []domain.KBCategory }
		e.do("GET", "/api/v1/kb/categories", agent, "", 200, &cats)
		if len(cats.Categories) != 1 || cats.Categories[0].Names["nl"] != "Bestellingen" {
			t.Errorf("categories %+v", cats.Categories)
		}
	})
}

func TestKB_BadInputGetsClearCodes(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/api/v1/kb/articles", `{"language":"fr","title":"x"}`, 422, "invalid_language"},
		{"POST", "/api/v1/kb/articles", `{"language":"en"}`, 422, "missing_field"},
		{"POST", "/api/v1/kb/articles", `{"language":"en","title":"x","status":"gone"}`, 422, "invalid_status"},
		{"POST", "/api/v1/kb/articles", `{"language":"en","title":"x","category_id":77}`, 422, "unknown_category"},
		{"POST", "/api/v1/kb/articles", `{"language":"en","title":"x","colour":"red"}`, 400, "invalid_json"},
		{"POST", "/api/v1/kb/categories", `{"names":{}}`, 422, "missing_field"},
		{"POST", "/api/v1/kb/categories", `{"parent_id":5,"names":{"en":"x"}}`, 422, "invalid_parent"},
		{"GET", "/api/v1/kb/search", "", 400, "invalid_query"},
		{"GET", "/api/v1/kb/search?q=x&language=fr", "", 400, "invalid_query"},
		{"GET", "/api/v1/kb/search?q=x&limit=500", "", 400, "invalid_query"},
		{"GET", "/api/v1/kb/articles?status=old", "", 400, "invalid_query"},
		{"GET", "/api/v1/kb/articles/abc", "", 404, "not_found"},
		{"GET", "/api/v1/kb/suggested-articles", "", 400, "invalid_query"},
	}
	for _, c := range cases {
		var ans struct{ Error struct{ Code string } }
		e.do(c.method, c.path, e.token, c.body, c.status, &ans)
		if ans.Error.Code != c.code {
			t.Errorf("%s %s %s: code %q, want %q", c.method, c.path, c.body, ans.Error.Code, c.code)
		}
	}
}

func TestKB_SuggestedArticlesFollowTicketVisibilityAndLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		var en, nl domain.Article
		e.do("POST", "/api/v1/kb/articles", e.token, `{"language":"en","title":"Reset your password","keywords":["password","login"],"status":"published"}`, 201, &en)
		e.do("POST", "/api/v1/kb/articles", e.token, `{"language":"nl","title":"Wachtwoord vergeten","keywords":["wachtwoord","inloggen"],"status":"published"}`, 201, &nl)
		in := e.post(`{"external_id":"m1","from":{"email":"an@example.nl"},"text":"Ik kan niet inloggen, mijn wachtwoord werkt niet"}`, 201)

		var hits hitsAnswer
		e.do("GET", fmt.Sprintf("/api/v1/kb/suggested-articles?ticket_id=%d", in.Ticket.ID), e.token, "", 200, &hits)
		if len(hits.Hits) == 0 || hits.Hits[0].Article.ID != nl.ID {
			t.Fatalf("suggestions %+v, want the Dutch article first", hits.Hits)
		}
		// An agent outside the ticket's team may not learn about it.
		e.do("GET", fmt.Sprintf("/api/v1/kb/suggested-articles?ticket_id=%d", in.Ticket.ID), e.agentToken(), "", 404, nil)
		e.do("GET", "/api/v1/kb/suggested-articles?ticket_id=99999", e.token, "", 404, nil)
	})
}
