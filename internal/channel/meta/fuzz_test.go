package meta

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loket.dev/loket/internal/domain"
)

// FuzzParse: any body is parsed into valid messages, statuses and changes
// of the channel's identity kinds (public ones with a thread), or refused
// with a *domain.Error; never a panic. The fixtures seed both kinds.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.HasPrefix(filepath.Base(name), "instagram"), string(b))
	}
	f.Fuzz(func(t *testing.T, isInstagram bool, body string) {
		a, ch := Messenger(Config{}), messengerChannel()
		if isInstagram {
			a, ch = Instagram(Config{}), instagramChannel()
		}
		b, err := a.Parse(ch, "application/json", []byte(body), "NL")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		reaches := map[domain.IdentityKind]bool{}
		for _, k := range a.Capabilities().Identities {
			reaches[k] = true
		}
		for _, in := range b.Messages {
			if !reaches[in.From.Kind] || in.From.Value == "" || !senderID(in.From.Value) {
				t.Fatalf("sender %v", in.From)
			}
			if in.Public != nil && (in.Thread == "" || len(in.Thread) > maxID || in.Public.Validate() != nil) {
				t.Fatalf("public message %+v with thread %q", in.Public, in.Thread)
			}
			if in.ExternalID == "" || len(in.ExternalID) > maxID {
				t.Fatalf("external id %q", in.ExternalID)
			}
			if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
				t.Fatalf("message %q has neither text nor attachments", in.ExternalID)
			}
			for _, att := range in.Attachments {
				if !webURL(att.Ref) {
					t.Fatalf("attachment ref %q is no web URL", att.Ref)
				}
			}
		}
		for _, s := range b.Statuses {
			watermark := s.ExternalID == "" && !s.Through.IsZero() && s.To.Kind == a.p.identity && s.To.Value != ""
			if (s.ExternalID == "" && !watermark) || len(s.ExternalID) > maxID || !s.Status.Valid() {
				t.Fatalf("status %+v", s)
			}
		}
		for _, c := range b.Changes {
			if c.ExternalID == "" || len(c.ExternalID) > maxID || !reaches[c.From.Kind] {
				t.Fatalf("change %+v", c)
			}
		}
	})
}
