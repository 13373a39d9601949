package kb

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

// Candidate is an article the database's full-text index found, with the
// index's own relevance (ts_rank on PostgreSQL, -bm25 on SQLite; higher is
// better). Its Body is the Markdown source.
type Candidate struct {
	Article *domain.Article
	Rank    float64
}

// Field weights: a question word in the title or keywords says much more
// about an article than one somewhere in its body.
const (
	weightTitle   = 1.0
	weightSummary = 0.6
	weightBody    = 0.3
	// A word that is the start of an article word (or the reverse) counts
	// partly, for compounds: "rucksend" in "rucksendeetikett".
	partial = 0.6
)

// Rank orders candidates for question: mostly by how much of the question
// the article covers, weighted by field, and partly by the index's
// relevance relative to the best candidate. Scores lie between 0 and 1 and
// the order is deterministic (ties by id). The hits carry no body.
func Rank(question string, candidates []Candidate, limit int) []domain.ArticleHit {
	maxRank := 0.0
	for _, c := range candidates {
		maxRank = math.Max(maxRank, c.Rank)
	}
	termsByLang := map[string][]string{}
	hits := make([]domain.ArticleHit, 0, len(candidates))
	for _, c := range candidates {
		a := c.Article
		terms, ok := termsByLang[a.Language]
		if !ok {
			terms = QueryTerms(a.Language, question)
			termsByLang[a.Language] = terms
		}
		plain := PlainText(a.Body)
		cov := coverage(terms, a.Language, [3]string{a.Title + " " + strings.Join(a.Keywords, " "), a.Summary, plain})
		rel := 0.0
		if maxRank > 0 {
			rel = c.Rank / maxRank
		}
		score := math.Round((0.75*cov+0.25*rel)*1000) / 1000
		short := *a
		short.Body = ""
		hits = append(hits, domain.ArticleHit{Article: &short, Score: score, Snippet: Snippet(a.Language, question, a.Summary, plain)})
	}
	rankOf := map[int64]float64{}
	for _, c := range candidates {
		rankOf[c.Article.ID] = c.Rank
	}
	slices.SortFunc(hits, func(x, y domain.ArticleHit) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(rankOf[y.Article.ID], rankOf[x.Article.ID]),
			cmp.Compare(x.Article.ID, y.Article.ID))
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// coverage is the weighted share of terms found in the fields (title and
// keywords, summary, body), each term counting its best field.
func coverage(terms []string, lang string, fields [3]string) float64 {
	if len(terms) == 0 {
		return 0
	}
	weights := [3]float64{weightTitle, weightSummary, weightBody}
	sets := [3]map[string]bool{}
	for i, f := range fields {
		sets[i] = map[string]bool{}
		for _, t := range Terms(lang, f) {
			sets[i][t] = true
		}
	}
	total := 0.0
	for _, t := range terms {
		best := 0.0
		for i, set := range sets {
			w := weights[i]
			switch {
			case set[t]:
			case utf8.RuneCountInString(t) >= 4 && hasPrefixTerm(set, t):
				w *= partial
			default:
				continue
			}
			best = math.Max(best, w)
		}
		total += best
	}
	return total / float64(len(terms))
}

// hasPrefixTerm reports whether some term of set starts with t, or is a
// start of t of at least four letters.
func hasPrefixTerm(set map[string]bool, t string) bool {
	for s := range set {
		if strings.HasPrefix(s, t) || (len(s) >= 4 && strings.HasPrefix(t, s)) {
			return true
		}
	}
	return false
}

// snippetLen is the longest snippet, in characters.
const snippetLen = 200

// Snippet returns the sentence of the summary or body that shares the most
// terms with question, cut to about 200 characters; the summary when no
// sentence does.
func Snippet(lang, question, summary, plainBody string) string {
	terms := map[string]bool{}
	for _, t := range QueryTerms(lang, question) {
		terms[t] = true
	}
	best, bestN := "", 0
	for _, s := range sentences(summary + "\n" + plainBody) {
		n := 0
		for _, t := range Terms(lang, s) {
			if terms[t] {
				n++
			}
		}
		if n > bestN {
			best, bestN = s, n
		}
	}
	if best == "" {
		best = summary
	}
	if best == "" {
		best = plainBody
	}
	return Truncate(strings.Join(strings.Fields(best), " "), snippetLen)
}

// sentences splits text at line breaks and sentence ends.
func sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i < len(line); i++ {
			if c := line[i]; (c == '.' || c == '?' || c == '!') && (i+1 == len(line) || line[i+1] == ' ') {
				out = appendNonEmpty(out, line[start:i+1])
				start = i + 1
			}
		}
		out = appendNonEmpty(out, line[start:])
	}
	return out
}

func appendNonEmpty(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}

// Truncate cuts s to at most n characters at a word boundary, adding "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

// WeakScore is the score below which a best hit answers a question only
// poorly: the search then tries correcting typos, and the FAQ bot hands
// the conversation to a person.
const WeakScore = 0.5

// ConfidentScore is the score from which a best hit covers practically
// the whole question, so that correcting typos cannot improve it.
const ConfidentScore = 0.9

// Confident reports whether the best of hits covers practically the whole
// question.
func Confident(hits []domain.ArticleHit) bool {
	return len(hits) > 0 && hits[0].Score >= ConfidentScore
}

// Weak reports whether hits answer their question poorly: none, or the
// best scoring below WeakScore.
func Weak(hits []domain.ArticleHit) bool { return len(hits) == 0 || hits[0].Score < WeakScore }
