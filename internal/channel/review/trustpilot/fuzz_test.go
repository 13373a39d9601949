package trustpilot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

// FuzzParsePage: any page Trustpilot might answer is read into reviews or
// refused with an error, never a panic; the valid reviews go through the
// adapter's Parse into as many public messages, each on its own thread.
func FuzzParsePage(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := New(Config{})
	ch := &domain.Channel{ID: 1, Kind: Kind}
	f.Fuzz(func(t *testing.T, body []byte) {
		reviews, _, err := parsePage(body, PageSize)
		if err != nil {
			return
		}
		valid := reviews[:0]
		for _, r := range reviews {
			if r.Validate() == nil {
				valid = append(valid, r)
			}
		}
		payload, err := json.Marshal(map[string][]review.Review{"reviews": valid})
		if err != nil {
			t.Fatal(err)
		}
		b, err := a.Parse(ch, review.ContentType, payload, "")
		if err != nil {
			t.Fatalf("valid reviews refused: %v\n%s", err, payload)
		}
		if len(b.Messages) != len(valid) {
			t.Fatalf("%d messages of %d reviews", len(b.Messages), len(valid))
		}
		for _, m := range b.Messages {
			if m.Thread != "review:"+m.ExternalID || m.Public == nil || m.From.Kind != domain.IdentityTrustpilotConsumer || m.Text == "" {
				t.Fatalf("message %+v", m)
			}
			if err := m.Public.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
