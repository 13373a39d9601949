package kb

import (
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
)

func TestStem_BringsInflectionsTogether(t *testing.T) {
	cases := []struct {
		lang  string
		words []string
	}{
		{"en", []string{"return", "returns", "returned", "returning"}},
		{"en", []string{"ship", "ships", "shipped", "shipping"}},
		{"en", []string{"invoice", "invoices"}},
		{"en", []string{"delivery", "deliveries"}},
		{"nl", []string{"bestelling", "bestellingen", "bestellen"}},
		{"nl", []string{"factuur", "facturen"}},
		{"nl", []string{"wachtwoord", "wachtwoorden"}},
		{"nl", []string{"verzending", "verzenden"}},
		{"de", []string{"rucksendung", "rucksenden"}},
		{"de", []string{"passwort", "passworter"}},
		{"de", []string{"rechnung", "rechnungen"}},
		{"de", []string{"bestellung", "bestellungen"}},
	}
	for _, c := range cases {
		want := Stem(c.lang, c.words[0])
		for _, w := range c.words[1:] {
			if got := Stem(c.lang, w); got != want {
				t.Errorf("%s: Stem(%q) = %q, Stem(%q) = %q; want the same", c.lang, w, got, c.words[0], want)
			}
		}
	}
}

func TestStem_CacheStaysBoundedAndCorrect(t *testing.T) {
	Stem("en", "returning")
	for i := range maxStems + 10 {
		w := []byte("xword")
		for n := i; n > 0; n /= 26 {
			w = append(w, byte('a'+n%26))
		}
		Stem("en", string(w))
	}
	if n := stems.n.Load(); n > maxStems {
		t.Errorf("cache holds %d stems, want at most %d", n, maxStems)
	}
	for range 2 {
		if got := Stem("en", "returning"); got != "return" {
			t.Errorf(`Stem("returning") = %q, want "return"`, got)
		}
	}
}

func TestTerms_FoldAccentsAndDropStopWords(t *testing.T) {
	cases := []struct{ lang, text, want string }{
		{"de", "Wo ist meine Rücksendung?", "rucksend"},
		{"nl", "Hoe kan ik mijn wachtwoord wijzigen?", "wachtwoord wijzig"},
		{"en", "Where is my ORDER?", "order"},
		{"de", "Straße", "strass"},
	}
	for _, c := range cases {
		if got := strings.Join(Terms(c.lang, c.text), " "); got != c.want {
			t.Errorf("Terms(%s, %q) = %q, want %q", c.lang, c.text, got, c.want)
		}
	}
}

func TestVocabularyCorrect_RewritesTyposToKnownWordsOnly(t *testing.T) {
	v := NewVocabulary([]string{"Reset your password", "Return an item", "Opening hours", `["wachtwoord","vergeten"]`})
	cases := []struct {
		lang, in, want string
		changed        bool
	}{
		{"en", "pasword", "password", true},
		{"en", "retrun item", "return item", true},
		{"en", "opneing hours", "opening hours", true},
		{"nl", "wachtwort vergten", "wachtwoord vergeten", true},
		{"en", "password", "password", false},
		{"en", "xylophone", "xylophone", false},
		{"en", "the", "the", false},
	}
	for _, c := range cases {
		got, changed := v.Correct(c.lang, c.in)
		if got != c.want || changed != c.changed {
			t.Errorf("Correct(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
		}
	}
}

func TestDetectLanguage_UsesStopWordsAndFallsBack(t *testing.T) {
	cases := []struct{ text, want string }{
		{"Ik ben mijn wachtwoord vergeten", "nl"},
		{"Wo ist meine Bestellung?", "de"},
		{"Where is my order?", "en"},
		{"12345", "nl"},
	}
	for _, c := range cases {
		if got := DetectLanguage(c.text, "nl"); got != c.want {
			t.Errorf("DetectLanguage(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}

func TestPlainText_KeepsStructureAndLinks(t *testing.T) {
	got := PlainText("# Title\n\nSome *text* with [a link](https://x.example) and <b>raw</b> HTML.\n\n- one\n- two\n\nEnd.")
	want := "Title\n\nSome text with a link (https://x.example) and raw HTML.\n\n- one\n- two\n\nEnd."
	if got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}

func TestRenderHTML_IsSafe(t *testing.T) {
	got := RenderHTML("# Top\n\nHi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> **b**\n\n| a | b |\n|---|---|\n| 1 | 2 |")
	for _, bad := range []string{"<script", "javascript:", "onerror", "<h1"} {
		if strings.Contains(got, bad) {
			t.Errorf("rendered HTML contains %s: %s", bad, got)
		}
	}
	for _, good := range []string{"<h2>Top</h2>", "<strong>b</strong>", "<table>"} {
		if !strings.Contains(got, good) {
			t.Errorf("rendered HTML lacks %s: %s", good, got)
		}
	}
}

func TestRank_PrefersTitleMatchesAndIsDeterministic(t *testing.T) {
	cands := []Candidate{
		{Article: &domain.Article{ID: 1, Language: "en", Title: "Opening hours", Body: "We ship parcels every day."}, Rank: 0.5},
		{Article: &domain.Article{ID: 2, Language: "en", Title: "Shipping costs", Body: "Long text about parcels."}, Rank: 0.4},
		{Article: &domain.Article{ID: 3, Language: "en", Title: "Shipping costs", Body: "Long text about parcels."}, Rank: 0.4},
	}
	for range 3 {
		hits := Rank("shipping", cands, 10)
		if len(hits) != 3 || hits[0].Article.ID != 2 || hits[1].Article.ID != 3 || hits[2].Article.ID != 1 {
			t.Fatalf("order %d %d %d, want 2 3 1", hits[0].Article.ID, hits[1].Article.ID, hits[2].Article.ID)
		}
		if hits[0].Article.Body != "" || hits[0].Score <= hits[2].Score {
			t.Errorf("hits %+v", hits)
		}
	}
}

func TestSnippet_PicksTheSentenceWithTheQuestionWords(t *testing.T) {
	got := Snippet("en", "refund days", "About refunds.", "First sentence. Your refund takes five days to arrive! Last one.")
	if got != "Your refund takes five days to arrive!" {
		t.Errorf("Snippet = %q", got)
	}
	long := strings.Repeat("word ", 100)
	if got := Snippet("en", "x", long, ""); len([]rune(got)) > snippetLen || !strings.HasSuffix(got, "…") {
		t.Errorf("long snippet not cut: %q", got)
	}
}

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Rücksendung & Umtausch":   "rucksendung-umtausch",
		"  How do I return?  ":     "how-do-i-return",
		"Straße":                   "strasse",
		"Ça coûte combien — 50 €?": "ca-coute-combien-50",
	}
	for in, want := range cases {
		if got := domain.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}
