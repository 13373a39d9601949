package x

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
)

// FuzzParse: any body is parsed into valid messages of the X identity
// (public ones threaded, with valid links; private ones without either),
// never the account's own, or refused with a *domain.Error; never a panic.
// The fixtures seed it.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	a, ch := New(Config{}), testChannel()
	f.Fuzz(func(t *testing.T, body string) {
		b, err := a.Parse(ch, "application/json", []byte(body), "NL")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		for _, in := range b.Messages {
			if !numericID.MatchString(in.ExternalID) || in.From.Kind != domain.IdentityX || !numericID.MatchString(in.From.Value) || in.From.Value == accountID {
				t.Fatalf("message %q from %v", in.ExternalID, in.From)
			}
			if strings.TrimSpace(in.Text) == "" || !utf8.ValidString(in.Text) || len(in.Text) > maxText || !utf8.ValidString(in.Name) {
				t.Fatalf("message %q text %q name %q", in.ExternalID, in.Text, in.Name)
			}
			if in.Public == nil {
				if in.Thread != "" {
					t.Fatalf("private message %q has thread %q", in.ExternalID, in.Thread)
				}
				continue
			}
			if !numericID.MatchString(in.Thread) || in.Public.Validate() != nil {
				t.Fatalf("public message %q thread %q post %+v", in.ExternalID, in.Thread, in.Public)
			}
			for _, u := range []string{in.Public.URL, in.Public.AuthorURL} {
				if !strings.HasPrefix(u, "https://x.com/") || strings.Contains(u, "..") {
					t.Fatalf("public message %q links %q", in.ExternalID, u)
				}
			}
		}
	})
}
