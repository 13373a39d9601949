package sms

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// FuzzParse checks that any body, as a Twilio form or a CM JSON payload,
// parses into valid messages and statuses or is refused with a
// *domain.Error, never a panic. The fixtures seed it.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		f.Add(filepath.Ext(name) == ".json", readFixture(f, filepath.Base(name)))
	}
	a := New(Config{})
	f.Fuzz(func(t *testing.T, isJSON bool, body []byte) {
		ct := contentTypeForm
		if isJSON {
			ct = contentTypeJSON
		}
		b, err := a.Parse(nil, ct, body, "NL")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code == "" {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		if b == nil {
			t.Fatal("nil batch without an error")
		}
		for _, m := range b.Messages {
			if m.ExternalID == "" || m.From.Kind != domain.IdentityPhone || !strings.HasPrefix(m.From.Value, "+") {
				t.Fatalf("message %+v without an id or a phone number", m)
			}
			if !utf8.ValidString(m.Text) || !utf8.ValidString(m.Name) || !utf8.ValidString(m.ExternalID) {
				t.Fatalf("invalid UTF-8 in %+v", m)
			}
			if m.Consent != channel.ConsentNone && m.Consent != channel.ConsentIn && m.Consent != channel.ConsentOut {
				t.Fatalf("consent %q", m.Consent)
			}
			if len(m.Attachments) > maxMediaPerMessage {
				t.Fatalf("%d attachments", len(m.Attachments))
			}
			for _, at := range m.Attachments {
				if at.Ref == "" || at.Filename == "" || !strings.Contains(at.ContentType, "/") {
					t.Fatalf("attachment %+v", at)
				}
			}
		}
		for _, s := range b.Statuses {
			if s.ExternalID == "" || !s.Status.Valid() || !utf8.ValidString(s.Reason) {
				t.Fatalf("status %+v", s)
			}
		}
	})
}
