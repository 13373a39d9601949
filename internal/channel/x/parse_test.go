package x

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testChannel is a channel of the tests' account, as Parse sees it.
func testChannel() *domain.Channel {
	return &domain.Channel{ID: 7, Kind: Kind, Settings: json.RawMessage(`{"user_id":"` + accountID + `","handle":"AcmeSupport"}`)}
}

// want is what a test expects of one parsed message.
type want struct {
	id, from, name, text, thread string
	public                       *domain.PublicPost
	at                           string
}

func TestParse(t *testing.T) {
	story := "@AcmeSupport Here is the whole story of what went wrong with my delivery, start to end: the parcel went to Utrecht"
	for _, tc := range []struct {
		name string
		body []byte
		want []want
	}{
		{"mentions: entities decoded, replies threaded under the post they answer, long posts whole; retweets, our own posts and posts without author skipped",
			fixture(t, "mentions.json"), []want{
				{id: "1866000000000000005", from: "2244994945", name: "X Developers", thread: "1866000000000000005",
					text: "@AcmeSupport Still waiting for order 10443 & nobody answers <3 days now>", at: "2026-12-08T09:05:00Z",
					public: &domain.PublicPost{URL: "https://x.com/XDevelopers/status/1866000000000000005", AuthorURL: "https://x.com/XDevelopers"}},
				{id: "1866000000000000004", from: "783214", name: "X", thread: "1866000000000000001", text: "@AcmeSupport thanks, it arrived!",
					at: "2026-12-08T09:04:00Z",
					public: &domain.PublicPost{URL: "https://x.com/X/status/1866000000000000004", AuthorURL: "https://x.com/X",
						PostID: "1866000000000000002", PostText: "@twitterdev we shipped it this morning.", PostURL: "https://x.com/AcmeSupport/status/1866000000000000002"}},
				{id: "1866000000000000006", from: "2244994945", name: "X Developers", thread: "1866000000000000006", text: story,
					at:     "2026-12-08T09:06:00Z",
					public: &domain.PublicPost{URL: "https://x.com/XDevelopers/status/1866000000000000006", AuthorURL: "https://x.com/XDevelopers"}},
			}},
		{"direct messages: private, the sender named; our own, group conversations and other events skipped; an attachment noted",
			fixture(t, "direct_messages.json"), []want{
				{id: "1866000000000000105", from: "2244994945", name: "X Developers", text: "Hi, my order number is 10443.", at: "2026-12-08T09:10:00Z"},
				{id: "1866000000000000102", from: "783214", name: "@X", text: "[The customer sent an attachment", at: "2026-12-08T09:07:00Z"},
			}},
		{"both in one payload", fixture(t, "mixed.json"), []want{
			{id: "1866000000000000201", from: "2244994945", name: "X Developers", thread: "1866000000000000201", text: "@AcmeSupport hello",
				at:     "2026-12-08T10:00:00Z",
				public: &domain.PublicPost{URL: "https://x.com/XDevelopers/status/1866000000000000201", AuthorURL: "https://x.com/XDevelopers"}},
			{id: "1866000000000000202", from: "2244994945", name: "X Developers", text: "and by DM", at: "2026-12-08T10:01:00Z"},
		}},
		{"an author whose username cannot be a link is linked by id",
			[]byte(`{"mentions":{"data":[{"id":"1","text":"@AcmeSupport hi","author_id":"2","conversation_id":"x"}],"includes":{"users":[{"id":"2","username":"../evil","name":"Eve"}]}}}`),
			[]want{{id: "1", from: "2", name: "Eve", thread: "1", text: "@AcmeSupport hi",
				public: &domain.PublicPost{URL: "https://x.com/i/status/1", AuthorURL: "https://x.com/i/user/2"}}}},
		{"nothing new", []byte(`{}`), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(Config{}).Parse(testChannel(), "application/json; charset=utf-8", tc.body, "NL")
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Messages) != len(tc.want) {
				t.Fatalf("%d messages, want %d: %+v", len(b.Messages), len(tc.want), b.Messages)
			}
			for i, w := range tc.want {
				m := b.Messages[i]
				if m.ExternalID != w.id || m.From != (domain.Identity{Kind: domain.IdentityX, Value: w.from}) || m.Name != w.name ||
					m.Thread != w.thread || m.ChannelID != 7 || !strings.HasPrefix(m.Text, w.text) {
					t.Errorf("message %d: %+v, want %+v", i, m, w)
				}
				if (m.Public == nil) != (w.public == nil) || m.Public != nil && *m.Public != *w.public {
					t.Errorf("message %d public %+v, want %+v", i, m.Public, w.public)
				}
				if m.Public != nil {
					if err := m.Public.Validate(); err != nil {
						t.Errorf("message %d public: %v", i, err)
					}
				}
				if at := m.ProviderAt.Format(time.RFC3339); w.at != "" && at != w.at {
					t.Errorf("message %d at %s, want %s", i, at, w.at)
				}
			}
		})
	}
}

func TestParse_Refuses(t *testing.T) {
	for _, tc := range []struct{ name, contentType, body, code string }{
		{"not JSON", "application/json", `{"mentions":`, "invalid_json"},
		{"two values", "application/json", `{} {}`, "invalid_json"},
		{"form", "application/x-www-form-urlencoded", `{}`, "unsupported_media_type"},
		{"data of the wrong shape", "application/json", `{"mentions":{"data":{"id":"1"}}}`, "invalid_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{}).Parse(testChannel(), tc.contentType, []byte(tc.body), "NL")
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
		})
	}
}

// A mention is one public message; the same customer by direct message
// is private, with the same identity, so both reach one contact.
func TestParse_MentionAndDirectMessageShareTheCustomersIdentity(t *testing.T) {
	b, err := New(Config{}).Parse(testChannel(), "application/json", fixture(t, "mixed.json"), "NL")
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*channel.Inbound = b.Messages
	if len(msgs) != 2 || msgs[0].From != msgs[1].From || msgs[0].Public == nil || msgs[1].Public != nil || msgs[1].Thread != "" {
		t.Fatalf("messages %+v", msgs)
	}
}
