package kb

import "strings"

// The stemmers below are light versions of the Snowball algorithms for
// English, Dutch and German: they strip inflections (plurals, verb
// endings, common derivations) so that "returns", "returned" and
// "returning" meet, but they do not try to be exact linguistics. They work
// on folded ASCII words (see Fold), so the same code indexes articles and
// questions on every database.

func isVowel(c byte, vowels string) bool { return strings.IndexByte(vowels, c) >= 0 }

// regions returns Snowball's R1 and R2: the positions after the first
// non-vowel that follows a vowel, and the same again from R1. R1 is at
// least min letters in.
func regions(w, vowels string, min int) (r1, r2 int) {
	next := func(from int) int {
		for i := from + 1; i < len(w); i++ {
			if !isVowel(w[i], vowels) && isVowel(w[i-1], vowels) {
				return i + 1
			}
		}
		return len(w)
	}
	r1 = next(0)
	if r1 < min {
		r1 = min
	}
	if r1 > len(w) {
		r1 = len(w)
	}
	r2 = next(r1)
	return r1, r2
}

func hasVowel(s, vowels string) bool {
	for i := 0; i < len(s); i++ {
		if isVowel(s[i], vowels) {
			return true
		}
	}
	return false
}

const enVowels = "aeiouy"

func stemEnglish(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies"), strings.HasSuffix(w, "ied"):
		if len(w) > 4 {
			w = w[:len(w)-3] + "i"
		} else {
			w = w[:len(w)-1]
		}
	case strings.HasSuffix(w, "us"), strings.HasSuffix(w, "ss"):
	case strings.HasSuffix(w, "s"):
		if hasVowel(w[:len(w)-2], enVowels) {
			w = w[:len(w)-1]
		}
	}
	for _, suf := range []string{"ingly", "edly", "ing", "ed"} {
		if !strings.HasSuffix(w, suf) {
			continue
		}
		rest := w[:len(w)-len(suf)]
		if len(rest) >= 3 && hasVowel(rest, enVowels) {
			w = rest
			if n := len(w); strings.Contains("bb dd ff gg mm nn pp rr tt", w[n-2:]) && w[n-1] == w[n-2] {
				w = w[:n-1]
			}
		}
		break
	}
	if n := len(w); n > 2 && w[n-1] == 'y' && !isVowel(w[n-2], enVowels) {
		w = w[:n-1] + "i"
	}
	for _, sfx := range [][2]string{{"ational", "ate"}, {"ization", "ize"}, {"fulness", "ful"}, {"iveness", "ive"}, {"ousness", "ous"}, {"ness", ""}} {
		if strings.HasSuffix(w, sfx[0]) && len(w)-len(sfx[0]) >= 3 {
			w = w[:len(w)-len(sfx[0])] + sfx[1]
			break
		}
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

const nlVowels = "aeiouy"

func stemDutch(w string) string {
	if len(w) <= 3 {
		return w
	}
	r1, r2 := regions(w, nlVowels, 3)
	in := func(pos, r int) bool { return pos >= r }
	undouble := func() {
		if n := len(w); n >= 2 && (strings.HasSuffix(w, "kk") || strings.HasSuffix(w, "dd") || strings.HasSuffix(w, "tt")) {
			w = w[:n-1]
		}
	}
	validEn := func(end int) bool {
		return end > 0 && !isVowel(w[end-1], nlVowels) && !strings.HasSuffix(w[:end], "gem")
	}
	// Step 1: plural and verb endings.
	switch {
	case strings.HasSuffix(w, "heden") && in(len(w)-5, r1):
		w = w[:len(w)-5] + "heid"
	case strings.HasSuffix(w, "ene") && in(len(w)-3, r1) && validEn(len(w)-3):
		w = w[:len(w)-3]
		undouble()
	case strings.HasSuffix(w, "en") && in(len(w)-2, r1) && validEn(len(w)-2):
		w = w[:len(w)-2]
		undouble()
	case strings.HasSuffix(w, "se") && in(len(w)-2, r1) && !isVowel(w[len(w)-3], nlVowels) && w[len(w)-3] != 'j':
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && in(len(w)-1, r1) && !isVowel(w[len(w)-2], nlVowels) && w[len(w)-2] != 'j':
		w = w[:len(w)-1]
	}
	// Step 2: a final e.
	eFound := false
	if n := len(w); n >= 2 && w[n-1] == 'e' && in(n-1, r1) && !isVowel(w[n-2], nlVowels) {
		w = w[:n-1]
		eFound = true
		undouble()
	}
	// Step 3: derivational suffixes.
	if strings.HasSuffix(w, "heid") && in(len(w)-4, r2) && !strings.HasSuffix(w[:len(w)-4], "c") {
		w = w[:len(w)-4]
		if strings.HasSuffix(w, "en") && in(len(w)-2, r1) && validEn(len(w)-2) {
			w = w[:len(w)-2]
			undouble()
		}
	}
	switch {
	case (strings.HasSuffix(w, "end") || strings.HasSuffix(w, "ing")) && in(len(w)-3, r2):
		w = w[:len(w)-3]
		if strings.HasSuffix(w, "ig") && in(len(w)-2, r2) && !strings.HasSuffix(w[:len(w)-2], "e") {
			w = w[:len(w)-2]
		} else {
			undouble()
		}
	case strings.HasSuffix(w, "ig") && in(len(w)-2, r2) && !strings.HasSuffix(w[:len(w)-2], "e"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "lijk") && in(len(w)-4, r2):
		w = w[:len(w)-4]
		if n := len(w); n >= 2 && w[n-1] == 'e' && in(n-1, r1) && !isVowel(w[n-2], nlVowels) {
			w = w[:n-1]
			undouble()
		}
	case strings.HasSuffix(w, "baar") && in(len(w)-4, r2):
		w = w[:len(w)-4]
	case strings.HasSuffix(w, "bar") && in(len(w)-3, r2) && eFound:
		w = w[:len(w)-3]
	}
	// Step 4: a doubled vowel before a final consonant ("factuur" →
	// "factur", as in "facturen").
	if n := len(w); n >= 4 {
		c, v1, v2, d := w[n-4], w[n-3], w[n-2], w[n-1]
		if !isVowel(c, nlVowels) && v1 == v2 && strings.IndexByte("aeou", v1) >= 0 && !isVowel(d, nlVowels) && d != 'i' {
			w = w[:n-2] + w[n-1:]
		}
	}
	return w
}

const deVowels = "aeiouy"

func stemGerman(w string) string {
	if len(w) <= 3 {
		return w
	}
	r1, r2 := regions(w, deVowels, 3)
	in := func(pos, r int) bool { return pos >= r }
	// Step 1: inflections.
	switch {
	case strings.HasSuffix(w, "ern") && in(len(w)-3, r1):
		w = w[:len(w)-3]
	case (strings.HasSuffix(w, "em") || strings.HasSuffix(w, "er")) && in(len(w)-2, r1):
		w = w[:len(w)-2]
	case (strings.HasSuffix(w, "en") || strings.HasSuffix(w, "es")) && in(len(w)-2, r1):
		w = w[:len(w)-2]
		if strings.HasSuffix(w, "niss") {
			w = w[:len(w)-1]
		}
	case strings.HasSuffix(w, "e") && in(len(w)-1, r1):
		w = w[:len(w)-1]
		if strings.HasSuffix(w, "niss") {
			w = w[:len(w)-1]
		}
	case strings.HasSuffix(w, "s") && in(len(w)-1, r1) && len(w) >= 2 && strings.IndexByte("bdfghklmnrt", w[len(w)-2]) >= 0:
		w = w[:len(w)-1]
	}
	// Step 2: more verb and adjective endings.
	switch {
	case strings.HasSuffix(w, "est") && in(len(w)-3, r1):
		w = w[:len(w)-3]
	case (strings.HasSuffix(w, "en") || strings.HasSuffix(w, "er")) && in(len(w)-2, r1):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "st") && in(len(w)-2, r1) && len(w) >= 6 && strings.IndexByte("bdfghklmnt", w[len(w)-3]) >= 0:
		w = w[:len(w)-2]
	}
	// Step 3: derivational suffixes.
	switch {
	case (strings.HasSuffix(w, "end") || strings.HasSuffix(w, "ung")) && in(len(w)-3, r2):
		w = w[:len(w)-3]
		if strings.HasSuffix(w, "ig") && in(len(w)-2, r2) && !strings.HasSuffix(w[:len(w)-2], "e") {
			w = w[:len(w)-2]
		}
	case strings.HasSuffix(w, "isch") && in(len(w)-4, r2) && !strings.HasSuffix(w[:len(w)-4], "e"):
		w = w[:len(w)-4]
	case (strings.HasSuffix(w, "ig") || strings.HasSuffix(w, "ik")) && in(len(w)-2, r2) && !strings.HasSuffix(w[:len(w)-2], "e"):
		w = w[:len(w)-2]
	case (strings.HasSuffix(w, "lich") || strings.HasSuffix(w, "heit")) && in(len(w)-4, r2):
		w = w[:len(w)-4]
		if (strings.HasSuffix(w, "er") || strings.HasSuffix(w, "en")) && in(len(w)-2, r1) {
			w = w[:len(w)-2]
		}
	case strings.HasSuffix(w, "keit") && in(len(w)-4, r2):
		w = w[:len(w)-4]
		if strings.HasSuffix(w, "lich") && in(len(w)-4, r2) {
			w = w[:len(w)-4]
		} else if strings.HasSuffix(w, "ig") && in(len(w)-2, r2) {
			w = w[:len(w)-2]
		}
	}
	return w
}
