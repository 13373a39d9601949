package kb

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Vocabulary is the set of words of the articles' titles and keywords. It
// rewrites misspelt query words ("pasword", "retrun", "wachtwort") to the
// nearest word it knows, so that a typo does not leave a customer without
// an answer. It is immutable and safe for concurrent use.
type Vocabulary struct {
	words map[string]bool
	list  []string         // sorted, so that ties resolve the same way every time
	grams map[string][]int // trigram → indexes into list
}

// NewVocabulary collects the words of texts (titles and keywords).
func NewVocabulary(texts []string) *Vocabulary {
	v := &Vocabulary{words: map[string]bool{}, grams: map[string][]int{}}
	for _, t := range texts {
		for _, w := range Words(t) {
			if utf8.RuneCountInString(w) >= 3 {
				v.words[w] = true
			}
		}
	}
	for w := range v.words {
		v.list = append(v.list, w)
	}
	slices.Sort(v.list)
	for i, w := range v.list {
		for _, g := range trigrams(w) {
			if ids := v.grams[g]; len(ids) == 0 || ids[len(ids)-1] != i {
				v.grams[g] = append(ids, i)
			}
		}
	}
	return v
}

// Len returns how many words v knows.
func (v *Vocabulary) Len() int { return len(v.list) }

// Correct returns text with each word that v does not know, and that is
// not a stop word in lang, replaced by the nearest known word, and whether
// anything changed. Words too far from any known word stay as they are.
func (v *Vocabulary) Correct(lang, text string) (string, bool) {
	words := Words(text)
	changed := false
	for i, w := range words {
		if v.words[w] || utf8.RuneCountInString(w) < 3 || isNumber(w) || stop(lang, w) {
			continue
		}
		if c, ok := v.nearest(w); ok {
			words[i], changed = c, true
		}
	}
	return strings.Join(words, " "), changed
}

func stop(lang, w string) bool {
	if lang != "" {
		return IsStopWord(lang, w)
	}
	return IsStopWord("en", w) || IsStopWord("nl", w) || IsStopWord("de", w)
}

func isNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// nearest finds the known word with the smallest edit distance to w
// (transpositions count once), allowing one edit for words of up to four
// letters and two for longer ones. Ties go to the word sharing more
// trigrams with w, then to the alphabetically first.
func (v *Vocabulary) nearest(w string) (string, bool) {
	maxDist := 2
	if utf8.RuneCountInString(w) <= 4 {
		maxDist = 1
	}
	shared := map[int]int{}
	for _, g := range trigrams(w) {
		for _, i := range v.grams[g] {
			shared[i]++
		}
	}
	best, bestDist, bestShared := -1, maxDist+1, 0
	for i, n := range shared {
		c := v.list[i]
		if abs(utf8.RuneCountInString(c)-utf8.RuneCountInString(w)) > maxDist {
			continue
		}
		d := editDistance(w, c)
		if d > maxDist {
			continue
		}
		if d < bestDist || (d == bestDist && (n > bestShared || (n == bestShared && i < best))) {
			best, bestDist, bestShared = i, d, n
		}
	}
	if best < 0 {
		return "", false
	}
	return v.list[best], true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// trigrams returns the three-letter pieces of w padded with spaces, so
// that short words and word starts count too.
func trigrams(w string) []string {
	r := []rune(" " + w + " ")
	out := make([]string, 0, len(r))
	for i := 0; i+3 <= len(r); i++ {
		out = append(out, string(r[i:i+3]))
	}
	return out
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost one.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev2 := make([]int, len(y)+1)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(y)]
}
