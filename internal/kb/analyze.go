// Package kb holds the knowledge base's text logic: turning article text
// and questions into search terms (accent folding, stop words, Snowball
// stemming for English, Dutch and German), correcting misspelt query
// words against the articles' vocabulary, ranking candidates, cutting
// snippets and rendering Markdown. It performs no I/O: the store feeds it
// text and runs the database's full-text index with the terms it makes,
// so that search behaves alike on SQLite and PostgreSQL.
package kb

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"loket.dev/loket/internal/domain"
)

// Fold lowercases s and removes accents ("Rücksendung" → "rucksendung",
// "ß" → "ss"), so that customers who type without accents still match.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Words splits folded text into words of letters and digits. Words of one
// character and very long ones (not words, but tokens or hashes) are
// dropped.
func Words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if n := utf8.RuneCountInString(w); n >= 2 && n <= 40 {
			out = append(out, w)
		}
	}
	return out
}

// Terms returns the search terms of text in lang: its words without stop
// words, stemmed. An empty lang uses no stop words and no stemming.
func Terms(lang, text string) []string {
	var out []string
	for _, w := range Words(text) {
		if IsStopWord(lang, w) {
			continue
		}
		out = append(out, Stem(lang, w))
	}
	return out
}

// IndexText is the text the SQLite index stores for a field: its terms in
// lang, space-separated. Queries are made of the same terms.
func IndexText(lang, text string) string { return strings.Join(Terms(lang, text), " ") }

// Query limits: a question is cut to MaxQuery characters and searched
// with at most maxQueryTerms distinct terms, so that a pasted e-mail or a
// page of text costs no more than a real question.
const (
	MaxQuery      = 1000
	maxQueryTerms = 32
)

// CutQuery returns text cut to its first MaxQuery characters.
func CutQuery(text string) string {
	if utf8.RuneCountInString(text) <= MaxQuery {
		return text
	}
	return string([]rune(text)[:MaxQuery])
}

// QueryTerms returns the distinct terms of a question in lang, in the
// order they first appear, at most maxQueryTerms. With lang empty it
// returns the terms of every language, since the articles' language is
// not known.
func QueryTerms(lang, text string) []string {
	langs := []string{lang}
	if lang == "" {
		langs = domain.KBLanguages
	}
	seen := map[string]bool{}
	var out []string
	for _, w := range Words(text) {
		for _, l := range langs {
			if IsStopWord(l, w) {
				continue
			}
			if t := Stem(l, w); !seen[t] && len(out) < maxQueryTerms {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// IsStopWord reports whether the folded word w carries no meaning for a
// search in lang (articles, pronouns, auxiliaries, question words).
func IsStopWord(lang, w string) bool { return stopWords[lang][w] }

// DetectLanguage guesses whether text is English, Dutch or German from its
// stop words and letters, for customers whose language is not known. It
// returns fallback when the text gives no clue.
func DetectLanguage(text, fallback string) string {
	score := map[string]int{}
	for _, w := range Words(text) {
		for _, l := range domain.KBLanguages {
			if stopWords[l][w] || hints[l][w] {
				score[l]++
			}
		}
	}
	if strings.ContainsAny(strings.ToLower(text), "äöüß") {
		score["de"] += 2
	}
	best, n := fallback, 0
	for _, l := range domain.KBLanguages {
		if score[l] > n {
			best, n = l, score[l]
		}
	}
	return best
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// stopWords per language, folded. Short on purpose: words such as "not",
// "no" and "kein" change a question's meaning and stay.
var stopWords = map[string]map[string]bool{
	"en": set(`a an the and or of to in on at for from by with about as is are was were be been being am do does did
		have has had can could would should will shall may might must i me my mine we us our you your yours he him his she her
		it its they them their this that these those there here what which who whom whose when where why how if then than
		so too very just also into out up down over again some any all each more most other such only own same s t
		please hi hello thanks thank dear want wanted need like get got tell know help`),
	"nl": set(`de het een en of van in op aan te voor met door bij uit over om tot naar als is zijn was waren ben bent
		wordt worden werd heb hebt heeft hebben had kan kunt kunnen kon zou zouden moet moeten mag wil wilt willen ik mij me
		mijn wij we ons onze jij je jou jouw u uw hij hem zijn zij ze haar het dit dat deze die daar hier wat welk welke wie
		wanneer waar waarom hoe er dan toch nog al ook maar wel even graag hallo hoi dag bedankt dank alstublieft aub
		weten helpen`),
	"de": set(`der die das den dem des ein eine einen einem einer eines und oder von zu in im an am auf fur mit bei aus
		uber um nach als ist sind war waren bin bist sein wird werden wurde habe hast hat haben hatte kann kannst konnen
		konnte wurde wurden muss mussen darf will wollen mochte ich mir mich mein meine meinen meinem wir uns unser unsere
		du dich dir dein deine sie ihr ihre ihnen er ihn ihm es sich dies diese dieser dieses da hier was welche welcher
		welches wer wann wo warum wie dann doch noch schon auch aber mal gern gerne hallo danke bitte guten tag wissen helfen`),
}

// hints are common content words that tell the languages apart.
var hints = map[string]map[string]bool{
	"en": set(`order return refund password invoice delivery shipping account where my not`),
	"nl": set(`bestelling retour terugsturen wachtwoord factuur levering bezorging verzending account niet waar`),
	"de": set(`bestellung rucksendung passwort rechnung lieferung versand konto nicht wo`),
}

// QueryWords returns the distinct folded words of a question that are not
// stop words in lang (in any language when lang is empty), at most
// maxQueryTerms, for databases that stem by themselves (PostgreSQL's text
// search configurations).
func QueryWords(lang, text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range Words(text) {
		if stop(lang, w) || seen[w] || len(out) == maxQueryTerms {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// TSQuery joins words into a PostgreSQL to_tsquery expression matching
// any of them, words of four letters or more also as a prefix. Words hold
// only letters and digits, so nothing in them is tsquery syntax.
func TSQuery(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w
		if utf8.RuneCountInString(w) >= 4 {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " | ")
}

// FTSQuery joins terms into an SQLite FTS5 MATCH expression matching any
// of them, terms of four letters or more also as a prefix.
func FTSQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"`
		if utf8.RuneCountInString(t) >= 4 {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " OR ")
}

// Language returns the knowledge-base language ("en", "nl" or "de") of a
// language tag such as "nl", "de-AT" or "en_GB", or "" for others.
func Language(tag string) string {
	l := strings.ToLower(tag)
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if domain.ValidKBLanguage(l) {
		return l
	}
	return ""
}
