// Package survey holds what CSAT and NPS surveys are made of and has no
// I/O: a channel's survey settings, the texts in each language, the
// quick replies of a survey message and the signed tokens of survey
// links. The desk schedules, sends and records surveys; the public page
// lives in httpapi.
package survey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Settings are a channel's survey settings, under "survey":
//
//	{"survey": {"csat": true, "delay_seconds": 3600, "nps": true, "nps_interval_days": 90,
//	            "texts": {"nl": {"csat": "Hoe hebben we u geholpen?"}}}}
//
// Both kinds are off unless switched on. A CSAT is asked DelaySeconds
// after a ticket is solved (nil: an hour; 0: at once); an NPS is asked
// with it, instead of the CSAT, when the contact was not asked one in the
// last NPSIntervalDays days (0: 90).
type Settings struct {
	CSAT            bool             `json:"csat"`
	DelaySeconds    *int64           `json:"delay_seconds,omitempty"`
	NPS             bool             `json:"nps"`
	NPSIntervalDays int              `json:"nps_interval_days,omitempty"`
	Texts           map[string]Texts `json:"texts,omitempty"`
}

// Defaults.
const (
	DefaultDelaySeconds = 3600
	DefaultNPSInterval  = 90
	// AnswerDays is how long a survey can be answered, and its answer
	// changed, after it was sent.
	AnswerDays = 7
	// CommentMinutes is how long after a tap the customer's next message
	// on the channel is taken as the survey's comment.
	CommentMinutes = 15
)

// Texts are the messages of a survey in one language; empty ones take the
// default of the language (or English).
type Texts struct {
	CSAT   string `json:"csat,omitempty"`   // the question asked with buttons
	NPS    string `json:"nps,omitempty"`    // the question asked with a link
	Link   string `json:"link,omitempty"`   // the CSAT question with a link: {{link}} is the address
	Thanks string `json:"thanks,omitempty"` // after a tap: thanks, and asks for a comment
}

// Delay returns the delay after a solve in milliseconds.
func (s Settings) Delay() int64 {
	if s.DelaySeconds == nil {
		return DefaultDelaySeconds * 1000
	}
	return *s.DelaySeconds * 1000
}

// Interval returns the least time between two NPS surveys of one contact,
// in milliseconds.
func (s Settings) Interval() int64 {
	days := s.NPSIntervalDays
	if days <= 0 {
		days = DefaultNPSInterval
	}
	return int64(days) * 24 * 3600 * 1000
}

// Of returns the survey settings of ch; invalid ones (which validation
// keeps out) read as off.
func Of(ch *domain.Channel) Settings {
	var s struct {
		Survey Settings `json:"survey"`
	}
	if len(ch.Settings) > 0 && json.Unmarshal(ch.Settings, &s) != nil {
		return Settings{}
	}
	return s.Survey
}

// ValidateSettings checks a channel's "survey" settings. They belong to
// every channel kind, so they are checked here and not by the adapters.
func ValidateSettings(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "survey settings: "+err.Error()+"; allowed: csat, delay_seconds, nps, nps_interval_days, texts")
	}
	if s.DelaySeconds != nil && (*s.DelaySeconds < 0 || *s.DelaySeconds > 30*24*3600) {
		return domain.Invalid("invalid_settings", "survey.delay_seconds must be from 0 to 2592000 (30 days)")
	}
	if s.NPSIntervalDays < 0 || s.NPSIntervalDays > 3650 {
		return domain.Invalid("invalid_settings", "survey.nps_interval_days must be from 1 to 3650")
	}
	for code, t := range s.Texts {
		if len(code) < 2 || len(code) > 8 || strings.ToLower(code) != code {
			return domain.Invalid("invalid_settings", fmt.Sprintf("survey.texts: %q is not a language code such as \"nl\"", code))
		}
		for _, v := range []string{t.CSAT, t.NPS, t.Link, t.Thanks} {
			if len(v) > 1000 {
				return domain.Invalid("invalid_settings", "survey.texts: a text may have at most 1000 bytes")
			}
		}
		if t.Link != "" && !strings.Contains(t.Link, "{{link}}") {
			return domain.Invalid("invalid_settings", fmt.Sprintf("survey.texts.%s.link must contain {{link}}", code))
		}
	}
	return nil
}

var defaults = map[string]Texts{
	"en": {
		CSAT:   "How satisfied are you with how we helped you? Tap a score from 1 (bad) to 5 (great).",
		NPS:    "How likely are you to recommend us to a friend or colleague? Answer in one click: {{link}}",
		Link:   "How satisfied are you with how we helped you? Give a score in one click: {{link}}",
		Thanks: "Thank you for your rating! Anything you would like to add? Just reply to this message.",
	},
	"nl": {
		CSAT:   "Hoe tevreden bent u over onze hulp? Tik een score van 1 (slecht) tot 5 (uitstekend).",
		NPS:    "Hoe waarschijnlijk is het dat u ons aanbeveelt bij een vriend of collega? Antwoord met één klik: {{link}}",
		Link:   "Hoe tevreden bent u over onze hulp? Geef een score met één klik: {{link}}",
		Thanks: "Bedankt voor uw beoordeling! Wilt u nog iets toevoegen? Antwoord gewoon op dit bericht.",
	},
	"de": {
		CSAT:   "Wie zufrieden sind Sie mit unserer Hilfe? Tippen Sie eine Note von 1 (schlecht) bis 5 (sehr gut).",
		NPS:    "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen? Antworten Sie mit einem Klick: {{link}}",
		Link:   "Wie zufrieden sind Sie mit unserer Hilfe? Bewerten Sie mit einem Klick: {{link}}",
		Thanks: "Vielen Dank für Ihre Bewertung! Möchten Sie noch etwas hinzufügen? Antworten Sie einfach auf diese Nachricht.",
	},
}

// Language returns the supported language for a code such as "nl-BE":
// en, nl or de, English for any other.
func Language(code string) string {
	base, _, _ := strings.Cut(strings.ToLower(code), "-")
	if _, ok := defaults[base]; ok {
		return base
	}
	return "en"
}

// TextsFor returns the texts for a language: the channel's own where set,
// the defaults otherwise.
func (s Settings) TextsFor(code string) Texts {
	base, _, _ := strings.Cut(strings.ToLower(code), "-")
	t := s.Texts[base]
	d := defaults[Language(code)]
	if _, ok := s.Texts[base]; !ok {
		t = s.Texts["en"]
	}
	t.CSAT = orElse(t.CSAT, d.CSAT)
	t.NPS = orElse(t.NPS, d.NPS)
	t.Link = orElse(t.Link, d.Link)
	t.Thanks = orElse(t.Thanks, d.Thanks)
	return t
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Buttons returns the quick replies of a CSAT message: "csat:1" to
// "csat:5", labelled with the score and as many stars, so they read the
// same in every language.
func Buttons() []channel.QuickReply {
	out := make([]channel.QuickReply, 5)
	for i := range out {
		out[i] = channel.QuickReply{ID: "csat:" + strconv.Itoa(i+1), Label: strconv.Itoa(i+1) + " " + strings.Repeat("★", i+1)}
	}
	return out
}

// Tap reads a quick reply id "csat:N"; ok is false for any other id.
func Tap(id string) (score int, ok bool) {
	v, found := strings.CutPrefix(id, "csat:")
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 5 {
		return 0, false
	}
	return n, true
}

// Signer makes and checks the tokens of survey links: the survey's id and
// an HMAC of it under a key derived from the server's secret key, so a
// link cannot be made up for another survey and needs no lookup table.
type Signer struct{ key []byte }

// NewSigner derives the signing key from the server's secret key.
func NewSigner(secretKey []byte) *Signer {
	sum := sha256.Sum256(append([]byte("loket survey token\x00"), secretKey...))
	return &Signer{key: sum[:]}
}

// ErrBadToken is returned for a token that was not made by this server.
var ErrBadToken = errors.New("survey link is not valid")

// Token returns the link token of survey id.
func (s *Signer) Token(id int64) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(id))
	return base64.RawURLEncoding.EncodeToString(append(b, s.mac(b)...))
}

// Parse returns the survey id of a token made by Token.
func (s *Signer) Parse(token string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 8+16 || !hmac.Equal(b[8:], s.mac(b[:8])) {
		return 0, ErrBadToken
	}
	return int64(binary.BigEndian.Uint64(b[:8])), nil
}

func (s *Signer) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	return m.Sum(nil)[:16]
}
