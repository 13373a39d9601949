package helpcenter_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"loket.dev/loket/internal/helpcenter"
	"loket.dev/loket/internal/kb/kbtest"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestHelpCenter_ServesPublishedArticlesIndexably(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f, err := kbtest.Load(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		h := helpcenter.New(helpcenter.Config{Store: st, BaseURL: "https://help.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		ret, draft := f.Articles["en-return"], f.Articles["en-draft"]
		returns := f.Categories["returns"]
		nlPw := f.Articles["nl-password"]
		cases := []struct {
			name, path, acceptLanguage string
			status                     int
			want, wantNot              []string
			location                   string
		}{
			{name: "root picks Dutch", path: "/help", acceptLanguage: "nl-BE,nl;q=0.9,en;q=0.5", status: 200,
				want: []string{`<html lang="nl">`, "Waarmee kunnen we helpen?", `<link rel="canonical" href="https://help.example/help/nl">`,
					`hreflang="de" href="https://help.example/help/de"`, `hreflang="x-default" href="https://help.example/help"`,
					"Bestellingen en bezorging", "Retourneren", nlPw.Title}},
			{name: "root falls back to English", path: "/help/", acceptLanguage: "fr", status: 200, want: []string{`<html lang="en">`, "How can we help?"}},
			{name: "German home", path: "/help/de", status: 200, want: []string{`<html lang="de">`, "Rücksendungen", "Passwort vergessen"},
				wantNot: []string{"Reset your password"}},
			{name: "category", path: fmt.Sprintf("/help/en/categories/%d-%s", returns.ID, returns.Slug), status: 200,
				want: []string{"<title>Returns and refunds · Help center</title>", ret.Title, ret.Summary, "Orders and delivery"}, wantNot: []string{draft.Title}},
			{name: "category with stale slug moves", path: fmt.Sprintf("/help/en/categories/%d-old", returns.ID), status: 301,
				location: fmt.Sprintf("https://help.example/help/en/categories/%d-%s", returns.ID, returns.Slug)},
			{name: "article", path: fmt.Sprintf("/help/en/articles/%d-%s", ret.ID, ret.Slug), status: 200,
				want: []string{"<title>How do I return an item? · Help center</title>", `<meta name="description" content="You can return any item within 30 days`,
					fmt.Sprintf(`<link rel="canonical" href="https://help.example/help/en/articles/%d-how-do-i-return-an-item">`, ret.ID),
					"<strong>return label</strong>", "Returns and refunds", f.Articles["en-refund"].Title}},
			{name: "article in the wrong language moves", path: fmt.Sprintf("/help/de/articles/%d", ret.ID), status: 301,
				location: "https://help.example" + ret.URL},
			{name: "draft is hidden", path: fmt.Sprintf("/help/en/articles/%d-%s", draft.ID, draft.Slug), status: 404, wantNot: []string{draft.Title}},
			{name: "unknown article", path: "/help/en/articles/99999-x", status: 404},
			{name: "unknown language", path: "/help/fr", status: 404, want: []string{`<html lang="en">`}},
			{name: "unknown page speaks the language of its address", path: "/help/nl/nope", status: 404,
				want: []string{`<html lang="nl">`, "Pagina niet gevonden"}, wantNot: []string{`rel="canonical"`}},
			{name: "a slug cannot redirect elsewhere", path: fmt.Sprintf("/help/en/articles/%d-%%2F%%2Fevil.example", ret.ID), status: 301,
				location: "https://help.example" + ret.URL},
			{name: "category lists its articles in the description", path: fmt.Sprintf("/help/en/categories/%d-%s", returns.ID, returns.Slug), status: 200,
				want: []string{`<meta name="description" content="Returns and refunds: How do I return an item?`}},
			{name: "a long query is cut on a character boundary", path: "/help/de/search?q=" + strings.Repeat("%C3%BC", 1200), status: 200,
				want: []string{strings.Repeat("ü", 1000) + "”"}, wantNot: []string{strings.Repeat("ü", 1001), "\ufffd"}},
			{name: "search", path: "/help/nl/search?q=wachtwort+vergeten", status: 200,
				want: []string{`<meta name="robots" content="noindex">`, nlPw.Title, "Resultaten voor “wachtwort vergeten”"}},
			{name: "search finds no drafts", path: "/help/en/search?q=returns+policy+2027", status: 200, wantNot: []string{draft.Title}},
			{name: "search escapes the query", path: "/help/en/search?q=%3Cscript%3Ealert(1)%3C/script%3E", status: 200,
				want: []string{"&lt;script&gt;"}, wantNot: []string{"<script>"}},
			{name: "style", path: "/help/style.css", status: 200, want: []string{":root"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", c.path, nil)
				if c.acceptLanguage != "" {
					req.Header.Set("Accept-Language", c.acceptLanguage)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				body := rec.Body.String()
				if rec.Code != c.status {
					t.Fatalf("status %d, want %d; body %.300s", rec.Code, c.status, body)
				}
				if c.location != "" && rec.Header().Get("Location") != c.location {
					t.Errorf("Location %q, want %q", rec.Header().Get("Location"), c.location)
				}
				for _, s := range c.want {
					if !strings.Contains(body, s) {
						t.Errorf("page lacks %q", s)
					}
				}
				for _, s := range c.wantNot {
					if strings.Contains(body, s) {
						t.Errorf("page contains %q", s)
					}
				}
				if c.status == http.StatusOK && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
					t.Error("no content security policy")
				}
			})
		}
	})
}
