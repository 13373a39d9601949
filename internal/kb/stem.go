package kb

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/german"
)

// stemmers are the Snowball stemmers of the knowledge-base languages, the
// same algorithms as PostgreSQL's english, dutch and german text search
// configurations, so that SQLite's index (whose only stemmer is English)
// and Loket's ranking stem as PostgreSQL does.
var stemmers = map[string]func(*snowballstem.Env) bool{
	"en": english.Stem,
	"nl": dutch.Stem,
	"de": german.Stem,
}

// Stem reduces a folded word to its Snowball stem in lang ("en", "nl",
// "de"): "returns", "returned" and "returning" all become "return". Other
// languages, and words that are not plain Latin letters (digits, other
// scripts), stay as they are.
func Stem(lang, w string) string {
	stem := stemmers[lang]
	if stem == nil || !isASCIIWord(w) {
		return w
	}
	if s, ok := stems.m.Load(stemKey{lang, w}); ok {
		return s.(string)
	}
	env := snowballstem.NewEnv(w)
	stem(env)
	s := env.Current()
	if stems.n.Add(1) > maxStems {
		stems.m.Clear()
		stems.n.Store(0)
	}
	// w, and so the stem Snowball cut from it, is often a piece of a whole
	// article's text: keep copies, not the article.
	key := stemKey{lang, strings.Clone(w)}
	if s == w {
		s = key.word
	} else {
		s = strings.Clone(s)
	}
	stems.m.Store(key, s)
	return s
}

// stems remembers the stems of words seen before. Snowball takes about
// half a microsecond a word and ranking stems every candidate's body on
// each search, some 10,000 words, while articles repeat the same few
// thousand words. The cache is emptied when it holds maxStems words, so
// that questions full of odd words cannot grow it without bound.
var stems struct {
	m sync.Map // stemKey → string
	n atomic.Int64
}

const maxStems = 50_000

type stemKey struct{ lang, word string }

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
