package telegram

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

// FuzzParse: any body is parsed into valid messages and changes, or
// refused with a *domain.Error, never a panic.
func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"update_id":1,"callback_query":{"id":"x","from":{"id":1},"data":"d"}}`))
	f.Add([]byte(`[]`))
	a := New(Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := a.Parse(&domain.Channel{ID: 1, Kind: Kind}, ContentType, body, "NL")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		for _, in := range b.Messages {
			if in.From.Kind != domain.IdentityTelegram || in.From.Value == "" || in.ExternalID == "" {
				t.Errorf("message %+v has no sender or id", in)
			}
			if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
				t.Errorf("message %+v is empty", in)
			}
			if in.Language != "" && len(in.Language) != 2 {
				t.Errorf("language %q", in.Language)
			}
			for _, a := range in.Attachments {
				if a.Ref == "" || a.Filename == "" || !utf8.ValidString(a.Filename) {
					t.Errorf("attachment %+v", a)
				}
			}
		}
		for _, c := range b.Changes {
			if c.ExternalID == "" || c.From.Value == "" {
				t.Errorf("change %+v", c)
			}
		}
	})
}
