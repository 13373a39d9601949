package secret

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Password lengths the policy accepts, in characters. The maximum only
// bounds the work of hashing; it is far above any password a person types.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// WeakPasswordError says why the policy refuses a password, in words for
// the person choosing it.
type WeakPasswordError struct{ Reason string }

func (e *WeakPasswordError) Error() string { return e.Reason }

// common-passwords.txt: the most common passwords, one a line, lower
// case; see common-passwords.NOTICE for where it comes from.
//
//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 10500)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[strings.ToLower(w)] = true
		}
	}
	return m
})

// CheckPasswordPolicy returns a *WeakPasswordError when password is too
// short or too long, is a common password (also with digits or symbols
// added at its end), is one character repeated, or is one of personal:
// the account's e-mail address, its parts and the person's name. It
// returns nil for a password the policy accepts.
func CheckPasswordPolicy(password string, personal ...string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return &WeakPasswordError{fmt.Sprintf("the password is too short: use at least %d characters; a few unrelated words make a strong one", MinPasswordLength)}
	}
	if n > MaxPasswordLength {
		return &WeakPasswordError{fmt.Sprintf("the password is too long: use at most %d characters", MaxPasswordLength)}
	}
	lower := strings.ToLower(password)
	if strings.Count(lower, string([]rune(lower)[:1])) == n {
		return &WeakPasswordError{"the password is one character repeated; choose one that is hard to guess"}
	}
	stem := strings.TrimRightFunc(lower, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
	common := commonPasswords()
	if common[lower] || common[stem] || common[strings.ReplaceAll(lower, " ", "")] {
		return &WeakPasswordError{"the password is on a list of common passwords that attackers try first; choose another"}
	}
	for _, p := range personalWords(personal) {
		if lower == p || stem == p {
			return &WeakPasswordError{"the password is your name, your e-mail address or this product's name; choose one that others cannot guess"}
		}
	}
	return nil
}

// personalWords returns the lower-case forms of personal that a password
// must not be: each value, the parts of an e-mail address, and the
// product's name.
func personalWords(personal []string) []string {
	out := []string{"loket", "loketloket"}
	for _, v := range personal {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		out = append(out, v, strings.ReplaceAll(v, " ", ""))
		if local, domain, ok := strings.Cut(v, "@"); ok {
			out = append(out, local, domain)
			if name, _, ok := strings.Cut(domain, "."); ok {
				out = append(out, name)
			}
		}
	}
	return out
}
