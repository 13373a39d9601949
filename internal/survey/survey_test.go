package survey

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
)

func TestValidateSettings(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{``, true},
		{`null`, true},
		{`{"csat": true, "delay_seconds": 0, "nps": true, "nps_interval_days": 30}`, true},
		{`{"texts": {"nl": {"csat": "Hoe was het?", "link": "Geef een cijfer: {{link}}"}}}`, true},
		{`{"csat": "yes"}`, false},
		{`{"colour": "red"}`, false},
		{`{"delay_seconds": -1}`, false},
		{`{"nps_interval_days": -3}`, false},
		{`{"texts": {"Dutch": {"csat": "Hoe was het?"}}}`, false},
		{`{"texts": {"nl": {"link": "Geen link"}}}`, false},
	} {
		err := ValidateSettings(json.RawMessage(tc.raw))
		var invalid *domain.Error
		if tc.ok != (err == nil) || (err != nil && !errors.As(err, &invalid)) {
			t.Errorf("ValidateSettings(%s) = %v, want ok %v", tc.raw, err, tc.ok)
		}
	}
}

func TestSettings_DefaultsAndTexts(t *testing.T) {
	ch := &domain.Channel{Settings: json.RawMessage(`{"survey": {"csat": true, "texts": {"nl": {"csat": "Eigen vraag"}}}}`)}
	s := Of(ch)
	if !s.CSAT || s.Delay() != 3600_000 || s.Interval() != 90*24*3600_000 {
		t.Fatalf("settings %+v: delay %d, interval %d", s, s.Delay(), s.Interval())
	}
	for _, tc := range []struct{ lang, csat, link string }{
		{"nl-BE", "Eigen vraag", "Geef een score"},
		{"de", "Wie zufrieden", "Bewerten Sie"},
		{"fr", "How satisfied", "Give a score"},
		{"", "How satisfied", "Give a score"},
	} {
		got := s.TextsFor(tc.lang)
		if !strings.HasPrefix(got.CSAT, tc.csat) || !strings.HasPrefix(got.Link[strings.Index(got.Link, "?")+2:], tc.link) {
			t.Errorf("TextsFor(%q) = %+v", tc.lang, got)
		}
	}
}

func TestSigner_TokensRoundTripAndRefuseForgeries(t *testing.T) {
	s := NewSigner([]byte("key one"))
	tok := s.Token(42)
	if id, err := s.Parse(tok); err != nil || id != 42 {
		t.Fatalf("Parse(Token(42)) = %d, %v", id, err)
	}
	for _, bad := range []string{NewSigner([]byte("key two")).Token(42), tok[:len(tok)-1], "", "not a token"} {
		if _, err := s.Parse(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Parse(%q) = %v, want ErrBadToken", bad, err)
		}
	}
}

func TestTap(t *testing.T) {
	for id, want := range map[string]int{"csat:1": 1, "csat:5": 5, "csat:0": 0, "csat:6": 0, "csat:x": 0, "faq:3": 0, "": 0} {
		got, ok := Tap(id)
		if ok != (want > 0) || got != want {
			t.Errorf("Tap(%q) = %d, %v; want %d", id, got, ok, want)
		}
	}
	if b := Buttons(); len(b) != 5 || b[0].ID != "csat:1" || b[4].Label != "5 ★★★★★" {
		t.Errorf("Buttons() = %v", b)
	}
}
