// Package lang tells which language a customer writes in, among the
// languages Loket works with. It guesses only when the text says enough:
// a wrong language would send a ticket to the wrong agents or a customer
// an answer they cannot read, so "don't know" is the safer answer.
package lang

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
// nothing is sure ("Danke", "ok thanks", an order number).
const (
	minLetters = 20
	minWords   = 4
	// maxText bounds the work on a long mail; its start says enough.
	maxText = 2000
)

// Detect returns the ISO 639-1 code of the language text is written in, or
// "" when the text is too short, not clearly one language, or in a
// language Loket does not work with. Two witnesses are heard: the letter
// trigrams of the text (whatlanggo), sure on sentences but not on a short
// question, and the function words ("the", "ik", "nicht"), which every
// sentence has; a short text needs both to agree.
func Detect(text string) string {
	if len(text) > maxText {
		text = text[:maxText]
	}
	text = strings.ToValidUTF8(text, " ")
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	letters := 0
	for _, w := range words {
		letters += utf8.RuneCountInString(w)
	}
	if letters < minLetters || len(words) < minWords {
		return ""
	}
	votes := map[string]int{}
	for _, w := range words {
		for l, fw := range functionWords {
			if fw[w] {
				votes[l]++
			}
		}
	}
	voted, second := "", 0
	for _, l := range Supported {
		switch n := votes[l]; {
		case voted == "" || n > votes[voted]:
			voted, second = l, votes[voted]
		case n > second:
			second = n
		}
	}
	info := whatlanggo.DetectWithOptions(text, only)
	trigram := byLang[info.Lang]
	switch {
	case trigram != "" && info.Confidence >= 0.8 && (voted == trigram || votes[voted] < 2):
		return trigram
	case trigram != "" && info.Confidence >= 0.5 && voted == trigram && votes[voted] >= 2 && votes[voted] > second:
		return trigram
	case votes[voted] >= 3 && votes[voted] >= 2*second:
		return voted
	}
	return ""
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// functionWords are the most frequent short words of each language, the
// ones a question cannot do without.
var functionWords = map[string]map[string]bool{
	"en": set("the and is are was you your my i me to of in it for on with this that what how where when why can could do does not have has please would will an"),
	"nl": set("de het een en is zijn was ik je jij mijn u uw van voor op met dit dat wat hoe waar wanneer waarom kan kunt niet heb heeft wil graag naar ook maar nog er bij mij"),
	"de": set("der die das und ist sind war ich du mein meine meinen nicht mit für von zu ein eine einen wie wo was wann warum kann können bitte habe haben auch noch mich mir ihr ihre"),
	"fr": set("le la les et est sont je tu mon ma mes vous votre de des du pour avec que qui comment où quand pourquoi pas ne une un il elle ai au aux ce"),
	"es": set("el la los las y es son yo mi mis tu usted su de del para con que como dónde cuándo por qué no una un he ha al lo se"),
	"it": set("il lo la gli le e è sono io mio mia tu di del della per con che come dove quando perché non una un ho ha al si"),
	"pt": set("o a os as e é são eu meu minha você de do da para com que como onde quando porque não uma um tenho tem ao se"),
	"da": set("og er jeg min mit du det den en et til med på ikke hvordan hvor hvornår kan har jeg vil af"),
	"sv": set("och är jag min mitt du det den en ett till med på inte hur var när kan har vill av"),
	"pl": set("i jest są ja mój moja mnie ty nie z na do jak gdzie kiedy czy to się w że"),
}
