// Package lang tells which language a customer writes in, among the
// languages Loket works with. It guesses only when the text says enough:
// a wrong language would send a ticket to the wrong agents or a customer
// an answer they cannot read, so "don't know" is the safer answer.
package lang

import (
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
)

// Supported are the languages Detect can return, ISO 639-1.
var Supported = []string{"en", "nl", "de", "fr", "es", "it", "pt", "da", "sv", "pl"}

var byLang = map[whatlanggo.Lang]string{
	whatlanggo.Eng: "en", whatlanggo.Nld: "nl", whatlanggo.Deu: "de", whatlanggo.Fra: "fr", whatlanggo.Spa: "es",
	whatlanggo.Ita: "it", whatlanggo.Por: "pt", whatlanggo.Dan: "da", whatlanggo.Swe: "sv", whatlanggo.Pol: "pl",
}

var only = func() whatlanggo.Options {
	o := whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}
	for l := range byLang {
		o.Whitelist[l] = true
	}
	return o
}()

// minLetters and minWords are how much text Detect needs: below that,
// trigram statistics are a coin toss ("Danke", "ok thanks", an order
// number).
const (
	minLetters = 24
	minWords   = 4
	// maxText bounds the work on a long mail; its start says enough.
	maxText = 2000
)

// Detect returns the ISO 639-1 code of the language text is written in, or
// "" when the text is too short, not clearly one language, or in a
// language Loket does not work with.
func Detect(text string) string {
	if len(text) > maxText {
		text = text[:maxText]
	}
	letters, words, inWord := 0, 0, false
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if !inWord {
				words++
			}
			inWord = true
		} else {
			inWord = false
		}
	}
	if letters < minLetters || words < minWords {
		return ""
	}
	info := whatlanggo.DetectWithOptions(strings.ToValidUTF8(text, " "), only)
	if !info.IsReliable() {
		return ""
	}
	return byLang[info.Lang]
}
