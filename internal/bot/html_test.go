package bot

import (
	"strings"
	"testing"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestShowArticle_SendsSanitisedHTMLWithTheArticleFormattingAndAReadMoreLink(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"webchat", []string{"<strong>How do I return an item?</strong>", "<strong>return label</strong>", "<em>My orders</em>",
			`<a href="https://help.example/help/en/articles/`, `rel="nofollow noreferrer noopener"`, `target="_blank"`, ">Read more</a>", "Did this help?"}},
		// Without buttons the choices come as a numbered list, in the HTML too.
		{"api", []string{"<strong>return label</strong>", "<ol><li>Yes, thanks</li>", "Reply with a number."}},
	} {
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			h := newHarness(t, st, tc.kind, `{"bot":{"enabled":true,"hours":"always","calendar_id":CAL}}`, nil)
			h.kb.Articles["en-return"].Body += "\n\n<script>alert(1)</script>"
			if err := st.SaveArticle(t.Context(), h.kb.Articles["en-return"]); err != nil {
				t.Fatal(err)
			}
			h.say("How can I send back my shoes?")
			tk := h.say("@article:en-return")
			m, _ := h.last(tk.ID, "message")
			for _, w := range tc.want {
				if !strings.Contains(m.HTML, w) {
					t.Errorf("%s: bot HTML lacks %q:\n%s", tc.kind, w, m.HTML)
				}
			}
			if strings.Contains(m.HTML, "<script") || strings.Contains(m.Text, "**") || strings.Contains(m.Text, "<") {
				t.Errorf("%s: unsafe HTML or Markdown in text:\n%s\n%s", tc.kind, m.HTML, m.Text)
			}
		})
	}
}
