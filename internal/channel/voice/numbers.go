package voice

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"loket.dev/loket/internal/domain"
)

// maxExtension is the longest number taken for an internal extension
// rather than a customer's number.
const maxExtension = 6

// withheld are the ways telephone systems write a caller who withheld
// their number; +266696687 is Twilio's.
var withheld = map[string]bool{
	"": true, "anonymous": true, "restricted": true, "unknown": true, "private": true,
	"unavailable": true, "withheld": true, "+266696687": true, "266696687": true,
}

// number is one side of a call as a telephone system wrote it, read.
type number struct {
	// E164 is a customer's number; empty for an extension or a withheld
	// number.
	E164 string
	// Extension is an internal short number, such as an agent's "201".
	Extension string
	// Anonymous: the caller withheld the number.
	Anonymous bool
}

// readNumber reads a number as PBXs and Twilio write them: national
// ("0612345678"), international without a plus ("31612345678"), with
// 00 or +, withheld ("anonymous"), or a short internal extension. region
// is the country national numbers belong to. It fails for anything else.
func readNumber(raw, region string) (number, error) {
	s := strings.TrimSpace(raw)
	if withheld[strings.ToLower(s)] {
		return number{Anonymous: true}, nil
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/' {
			return -1
		}
		return r
	}, s)
	if withheld[s] {
		return number{Anonymous: true}, nil
	}
	digits := strings.TrimPrefix(s, "+")
	if digits == "" || len(digits) > 20 || strings.Trim(digits, "0123456789") != "" {
		return number{}, domain.Invalid("invalid_number", "a number may hold digits and a leading + only, at most 20 digits, or be \"anonymous\"")
	}
	switch {
	case strings.HasPrefix(s, "+"):
		return e164Of(s, region)
	case strings.HasPrefix(s, "00"):
		return e164Of("+"+s[2:], region)
	case len(s) <= maxExtension:
		return number{Extension: s}, nil
	case strings.HasPrefix(s, "0"):
		return e164Of(s, region)
	}
	// Without a trunk prefix: international without the plus when that
	// is a valid number, else national.
	if n, err := phonenumbers.Parse("+"+s, ""); err == nil && phonenumbers.IsValidNumber(n) {
		return number{E164: phonenumbers.Format(n, phonenumbers.E164)}, nil
	}
	return e164Of(s, region)
}

func e164Of(s, region string) (number, error) {
	n, err := domain.NormalizePhone(s, region)
	if err != nil {
		return number{}, err
	}
	return number{E164: n}, nil
}
