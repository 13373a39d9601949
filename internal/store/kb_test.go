package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb"
	"loket.dev/loket/internal/kb/kbtest"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func loadKB(t testing.TB, st *store.Store) *kbtest.Fixture {
	t.Helper()
	f, err := kbtest.Load(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSearchArticles_FindsTheRightArticleForQuestionsWithTypos(t *testing.T) {
	cases := []struct {
		lang, question, want string
	}{
		{"en", "How can I send back my shoes?", "en-return"},
		{"en", "I want to retrun a jacket", "en-return"},
		{"en", "when do I get my money back", "en-refund"},
		{"en", "forgot my pasword", "en-password"},
		{"en", "I can't log in", "en-password"},
		{"en", "where is my parcel", "en-tracking"},
		{"en", "How much are the shipping costs?", "en-shipping"},
		{"en", "I need a copy of my invoice", "en-invoice"},
		{"en", "invocie for my order", "en-invoice"},
		{"en", "what are your opening hours on saturday", "en-hours"},
		{"en", "openng hours", "en-hours"},
		{"en", "please cancel my order", "en-cancel"},
		{"en", "can I pay with paypal", "en-payment"},
		{"nl", "Hoe kan ik mijn bestelling terugsturen?", "nl-return"},
		{"nl", "ik ben mijn wachtwoord vergeten", "nl-password"},
		{"nl", "wachtwoort vergten", "nl-password"},
		{"nl", "waar blijft mijn pakket", "nl-tracking"},
		{"nl", "wat zijn de verzendkosten", "nl-shipping"},
		{"nl", "factuur kwijt", "nl-invoice"},
		{"nl", "openingstijden op zaterdag", "nl-hours"},
		{"nl", "bestelling annuleren", "nl-cancel"},
		{"de", "Wie kann ich meine Bestellung zurückschicken?", "de-return"},
		{"de", "Passwort vergesen", "de-password"},
		{"de", "Wo ist mein Paket?", "de-tracking"},
		{"de", "Was kostet der Versand?", "de-shipping"},
		{"de", "Rechnung herunterladen", "de-invoice"},
		{"de", "offnungszeiten am samstag", "de-hours"},
		{"de", "Öffnungszeitn", "de-hours"},
		{"", "Passwort vergessen", "de-password"},
		{"", "wachtwoord", "nl-password"},
		{"en", "How long does delivery take?", "en-shipping"},
		{"en", "my package has not arrived", "en-tracking"},
		{"en", "Is the shop open on Sunday?", "en-hours"},
		{"en", "RESET PASSWORD", "en-password"},
		{"en", "refund status", "en-refund"},
		{"en", "vat receipt", "en-invoice"},
		{"en", "can I exchange my shoes for another size", "en-return"},
		{"en", "klarna", "en-payment"},
		{"nl", "wanneer wordt mijn pakket bezorgd", "nl-tracking"},
		{"nl", "hoe lang duurt de levering", "nl-shipping"},
		{"nl", "retourneren", "nl-return"},
		{"nl", "ik wil mijn bestelling annuleren", "nl-cancel"},
		{"nl", "Kan ik niet inloggen", "nl-password"},
		{"nl", "zijn jullie op zondag open", "nl-hours"},
		{"nl", "facturen", "nl-invoice"},
		{"nl", "retourneeren", "nl-return"},
		{"de", "Ich kann mich nicht anmelden", "de-password"},
		{"de", "Wann sind Sie geöffnet?", "de-hours"},
		{"de", "Wo finde ich meine Rechnung", "de-invoice"},
		{"de", "Lieferzeit nach Belgien", "de-shipping"},
		{"de", "Rucksendung", "de-return"},
		{"de", "Ruecksendung", "de-return"},
		{"de", "Sendungsverfolgung", "de-tracking"},
		{"de", "Kennwort vergessen", "de-password"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := loadKB(t, st)
		for _, c := range cases {
			t.Run(c.lang+"/"+c.question, func(t *testing.T) {
				hits, err := st.SearchArticles(context.Background(), domain.ArticleQuery{Text: c.question, Language: c.lang, Limit: 3})
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 {
					t.Fatalf("no hits, want %s", c.want)
				}
				if got := f.Key(hits[0].Article.ID); got != c.want {
					var all []string
					for _, h := range hits {
						all = append(all, fmt.Sprintf("%s(%.3f)", f.Key(h.Article.ID), h.Score))
					}
					t.Errorf("top hit %s, want %s; hits %v", got, c.want, all)
				}
				if hits[0].Article.Body != "" || hits[0].Snippet == "" || hits[0].Score <= 0 || hits[0].Score > 1 {
					t.Errorf("hit %+v: want no body, a snippet and a score in (0,1]", hits[0])
				}
			})
		}
	})
}

// TestStem_MatchesPostgreSQL checks that package kb, which stems for
// SQLite's index and for ranking on both databases, cuts every word of the
// fixture as PostgreSQL's english, dutch and german dictionaries do, so
// that both databases find the same candidates. Words PostgreSQL drops as
// stop words but Loket keeps ("not", "niet", "nicht") are left out.
func TestStem_MatchesPostgreSQL(t *testing.T) {
	db, err := sql.Open("pgx", storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dicts := map[string]string{"en": "english_stem", "nl": "dutch_stem", "de": "german_stem"}
	words := map[string]map[string]bool{}
	for _, a := range kbtest.Articles {
		if words[a.Language] == nil {
			words[a.Language] = map[string]bool{}
		}
		for _, w := range kb.Words(a.Title + " " + a.Summary + " " + kb.PlainText(a.Body) + " " + strings.Join(a.Keywords, " ")) {
			if !kb.IsStopWord(a.Language, w) {
				words[a.Language][w] = true
			}
		}
	}
	for lang, set := range words {
		list := make([]string, 0, len(set))
		for w := range set {
			list = append(list, w)
		}
		rows, err := db.QueryContext(context.Background(), `SELECT w, COALESCE((ts_lexize($1::regdictionary, w))[1], '')
			FROM unnest(string_to_array($2, ' ')) AS w`, dicts[lang], strings.Join(list, " "))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var w, pg string
			if err := rows.Scan(&w, &pg); err != nil {
				t.Fatal(err)
			}
			n++
			if got := kb.Stem(lang, w); pg != "" && got != pg {
				t.Errorf("%s: Stem(%q) = %q, PostgreSQL %q", lang, w, got, pg)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n != len(list) {
			t.Errorf("%s: PostgreSQL stemmed %d words, want %d", lang, n, len(list))
		}
	}
}

func TestSearchArticles_FindsNothingForUnrelatedQuestions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		loadKB(t, st)
		for _, q := range []string{"xylophone quantum", "the and of", "", "  \t ", "😀 🙂", "你好世界", "\x00\xff", strings.Repeat("zzq ", 5000)} {
			hits, err := st.SearchArticles(context.Background(), domain.ArticleQuery{Text: q, Language: "en"})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 0 {
				t.Errorf("%q: got %d hits, want none", q, len(hits))
			}
		}
	})
}

func TestSearchArticles_ShowsDraftsOnlyWhenAsked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := loadKB(t, st)
		ctx := context.Background()
		hits, err := st.SearchArticles(ctx, domain.ArticleQuery{Text: "returns policy 2027", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Article.Status != domain.ArticlePublished {
				t.Errorf("public search returned draft %s", f.Key(h.Article.ID))
			}
		}
		hits, err = st.SearchArticles(ctx, domain.ArticleQuery{Text: "returns policy 2027", Language: "en", AnyStatus: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || f.Key(hits[0].Article.ID) != "en-draft" {
			t.Errorf("agents' search does not put the draft first: %v", hits)
		}
	})
}

func TestSearchArticles_FollowsEditsAndDeletes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := loadKB(t, st)
		ctx := context.Background()
		search := func(q string) []domain.ArticleHit {
			t.Helper()
			hits, err := st.SearchArticles(ctx, domain.ArticleQuery{Text: q, Language: "en"})
			if err != nil {
				t.Fatal(err)
			}
			return hits
		}
		// A typo is corrected against the current titles, so the cached
		// vocabulary must follow a new title.
		if hits := search("giftwrapping"); len(hits) != 0 {
			t.Fatalf("found %d hits before the article exists", len(hits))
		}
		a := f.Articles["en-payment"]
		a.Title = "Gift wrapping and payment methods"
		if err := st.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if hits := search("wraping"); len(hits) == 0 || hits[0].Article.ID != a.ID {
			t.Errorf("edited title not found through a typo: %v", hits)
		}
		if err := st.DeleteArticle(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if hits := search("wrapping"); len(hits) != 0 {
			t.Errorf("deleted article still found: %v", hits)
		}
		if _, err := st.Article(ctx, a.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("Article after delete: %v, want not found", err)
		}
	})
}

func TestSaveArticle_SetsSlugURLAndFirstPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := &domain.Article{Language: "de", Title: "Rücksendung & Umtausch", Keywords: []string{" Retoure ", "Retoure", ""}}
		if err := st.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Slug != "rucksendung-umtausch" || a.Status != domain.ArticleDraft || a.PublishedAt != 0 ||
			a.URL != fmt.Sprintf("/help/de/articles/%d-rucksendung-umtausch", a.ID) || len(a.Keywords) != 1 {
			t.Fatalf("saved draft %+v", a)
		}
		a.Status = domain.ArticlePublished
		if err := st.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		first := a.PublishedAt
		if first == 0 {
			t.Fatal("publishing did not set published_at")
		}
		a.Title = "Rücksendung"
		if err := st.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := st.Article(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PublishedAt != first || got.Title != "Rücksendung" || got.Slug != "rucksendung-umtausch" {
			t.Errorf("after edit %+v; published_at must stay %d and the slug stays", got, first)
		}
	})
}

func TestSaveArticle_RejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		a    domain.Article
		code string
	}{
		{"language", domain.Article{Language: "fr", Title: "x"}, "invalid_language"},
		{"title", domain.Article{Language: "en", Title: "  "}, "missing_field"},
		{"status", domain.Article{Language: "en", Title: "x", Status: "archived"}, "invalid_status"},
		{"slug", domain.Article{Language: "en", Title: "x", Slug: "Not A Slug"}, "invalid_slug"},
		{"category", domain.Article{Language: "en", Title: "x", CategoryID: 999}, "unknown_category"},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for _, c := range cases {
			var de *domain.Error
			err := st.SaveArticle(context.Background(), &c.a)
			if !errors.As(err, &de) || de.Code != c.code {
				t.Errorf("%s: got %v, want code %s", c.name, err, c.code)
			}
		}
	})
}

func TestKBCategories_TreeRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := loadKB(t, st)
		cats, err := st.KBCategories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cats) != len(kbtest.Categories) {
			t.Fatalf("got %d categories, want %d", len(cats), len(kbtest.Categories))
		}
		orders, returns := f.Categories["orders"], f.Categories["returns"]
		if returns.ParentID != orders.ID || returns.Slug != "returns-and-refunds" {
			t.Errorf("returns category %+v", returns)
		}
		code := func(err error) string {
			var de *domain.Error
			if errors.As(err, &de) {
				return de.Code
			}
			return fmt.Sprint(err)
		}
		// A category cannot move below its own child.
		orders.ParentID = returns.ID
		if got := code(st.SaveKBCategory(ctx, orders)); got != "invalid_parent" {
			t.Errorf("cycle: got %s, want invalid_parent", got)
		}
		orders.ParentID = 0
		if got := code(st.SaveKBCategory(ctx, &domain.KBCategory{ParentID: 999, Names: map[string]string{"en": "X"}})); got != "invalid_parent" {
			t.Errorf("unknown parent: got %s", got)
		}
		if got := code(st.SaveKBCategory(ctx, &domain.KBCategory{Names: map[string]string{"fr": "X"}})); got != "invalid_language" {
			t.Errorf("unknown language: got %s", got)
		}
		if got := code(st.DeleteKBCategory(ctx, orders.ID)); got != "category_not_empty" {
			t.Errorf("deleting a full category: got %s", got)
		}
		empty := &domain.KBCategory{Names: map[string]string{"nl": "Leeg"}}
		if err := st.SaveKBCategory(ctx, empty); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteKBCategory(ctx, empty.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.KBCategory(ctx, empty.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleted category still there: %v", err)
		}
	})
}

func TestArticles_FiltersByLanguageCategoryAndStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := loadKB(t, st)
		cases := []struct {
			filter domain.ArticleFilter
			want   int
		}{
			{domain.ArticleFilter{}, len(kbtest.Articles)},
			{domain.ArticleFilter{Language: "nl"}, 7},
			{domain.ArticleFilter{Language: "en", Status: domain.ArticleDraft}, 1},
			{domain.ArticleFilter{Language: "en", CategoryID: f.Categories["returns"].ID, Status: domain.ArticlePublished}, 2},
			{domain.ArticleFilter{Limit: 3}, 3},
			{domain.ArticleFilter{Language: "en", Status: domain.ArticlePublished, PerCategory: 1}, len(kbtest.Categories)},
			{domain.ArticleFilter{Language: "en", Status: domain.ArticlePublished, PerCategory: 2}, 8},
		}
		for _, c := range cases {
			got, err := st.Articles(ctx, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.want {
				t.Errorf("%+v: got %d articles, want %d", c.filter, len(got), c.want)
			}
			for _, a := range got {
				if a.Body != "" || a.Title == "" || a.URL == "" {
					t.Errorf("listed article %+v: want a title and address, no body", a)
				}
			}
		}
	})
}

// BenchmarkSearchArticles measures one search over 2,000 articles, with a
// typo in every fourth question.
func BenchmarkSearchArticles(b *testing.B) {
	questions := []struct{ lang, q string }{
		{"en", "how do I return my shoes"}, {"nl", "wachtwoord vergeten"}, {"de", "Wo ist mein Paket"}, {"en", "invocie download"},
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			st := storetest.Open(b, d)
			ctx := context.Background()
			for _, a := range kbtest.Synthetic(2000, 1) {
				if err := st.SaveArticle(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
			if err := st.Optimize(ctx); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				q := questions[i%len(questions)]
				if _, err := st.SearchArticles(ctx, domain.ArticleQuery{Text: q.q, Language: q.lang, Limit: 5}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
