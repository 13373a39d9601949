package domain

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// IdentityKind says how a contact can be reached.
type IdentityKind string

// Identity kinds. A phone identity is shared by SMS, WhatsApp and voice.
const (
	IdentityEmail     IdentityKind = "email"
	IdentityPhone     IdentityKind = "phone"
	IdentityTelegram  IdentityKind = "telegram"
	IdentityMessenger IdentityKind = "messenger"
	IdentityInstagram IdentityKind = "instagram"
	IdentityX         IdentityKind = "x"
	IdentityWeb       IdentityKind = "web"
	IdentityExternal  IdentityKind = "external" // an id in the calling system (API channel)
	// Review sites' reviewers: the site's reviewer id, or "review:" and
	// the review's id for a reviewer the site does not name (anonymous, or
	// a site that gives no reviewer id), who then never merges with anyone.
	IdentityGoogleReviewer     IdentityKind = "google_reviewer"
	IdentityTrustpilotConsumer IdentityKind = "trustpilot_consumer"
)

// IdentityFacebook is a Facebook user as a Page's feed names them (a
// commenter): an id scoped to the app, not their Messenger id (PSID),
// which only a private reply to their comment reveals.
const IdentityFacebook IdentityKind = "facebook"

var identityKinds = map[IdentityKind]bool{
	IdentityEmail: true, IdentityPhone: true, IdentityTelegram: true, IdentityMessenger: true,
	IdentityInstagram: true, IdentityX: true, IdentityWeb: true, IdentityExternal: true,
	IdentityGoogleReviewer: true, IdentityTrustpilotConsumer: true, IdentityFacebook: true,
}

// Identity is one normalised address of a contact, unique per (Kind, Value).
type Identity struct {
	Kind  IdentityKind `json:"kind"`
	Value string       `json:"value"`
}

func (i Identity) String() string { return string(i.Kind) + ":" + i.Value }

// NewIdentity validates and normalises value for kind: e-mail addresses are
// trimmed and lowercased, phone numbers become E.164 using region for numbers
// written without a country code, provider ids are kept as given.
func NewIdentity(kind IdentityKind, value, region string) (Identity, error) {
	if !identityKinds[kind] {
		return Identity{}, Invalid("invalid_identity", fmt.Sprintf("unknown identity kind %q", kind))
	}
	var (
		v   string
		err error
	)
	switch kind {
	case IdentityEmail:
		v, err = NormalizeEmail(value)
	case IdentityPhone:
		v, err = NormalizePhone(value, region)
	default:
		v = strings.TrimSpace(value)
		if v == "" || len(v) > 255 || !utf8.ValidString(v) {
			err = Invalid("invalid_identity", fmt.Sprintf("%s id must be 1 to 255 characters of valid text", kind))
		}
	}
	if err != nil {
		return Identity{}, err
	}
	return Identity{Kind: kind, Value: v}, nil
}

// NormalizeEmail returns the bare, lowercased address of s.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 {
		return "", Invalid("invalid_email", "e-mail address must be 1 to 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(a.Address, "@") {
		return "", Invalid("invalid_email", fmt.Sprintf("%q is not an e-mail address", s))
	}
	// Quoted local parts come back unquoted from the parser; an address
	// that does not parse again in that form is refused rather than stored.
	addr := strings.ToLower(a.Address)
	if again, err := mail.ParseAddress(addr); err != nil || strings.ToLower(again.Address) != addr {
		return "", Invalid("invalid_email", fmt.Sprintf("%q is not an e-mail address Loket can store; use a plain one", s))
	}
	return addr, nil
}

// NormalizePhone returns s in E.164 form. Numbers without a country code are
// read in region (an ISO 3166 code such as "NL"); "00" international prefixes
// and the usual punctuation are accepted.
func NormalizePhone(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", Invalid("invalid_phone", "phone number must be 1 to 64 characters")
	}
	if region == "" {
		region = "NL"
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", Invalid("invalid_phone", fmt.Sprintf("%q is not a phone number", s))
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	// A number whose E.164 form reads back differently (such as one made of
	// national prefixes only) is not a real number.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return "", Invalid("invalid_phone", fmt.Sprintf("%q is not a phone number", s))
	}
	return e164, nil
}

func lowerTrim(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
