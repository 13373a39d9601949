package review

import (
	"errors"
	"os"
	"testing"

	"loket.dev/loket/internal/domain"
)

// FuzzParse: any payload is parsed into valid public messages or refused
// with a *domain.Error, never a panic.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/payload.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"reviews":[]}`))
	_, a, ch := newMem(ByUpdated, 50)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := a.Parse(ch, ContentType, body, "")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("refused without a *domain.Error: %v", err)
			}
			return
		}
		for _, m := range b.Messages {
			if m.ExternalID == "" || m.Thread != "review:"+m.ExternalID || len(m.Thread) > 255 || m.From.Value == "" || m.Text == "" || m.Public == nil {
				t.Fatalf("message %+v", m)
			}
			if err := m.Public.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
