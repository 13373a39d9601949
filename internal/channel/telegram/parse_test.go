package telegram

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

func parse(t *testing.T, name string) *channel.Batch {
	t.Helper()
	b, err := New(Config{}).Parse(&domain.Channel{ID: 1, Kind: Kind}, ContentType, fixture(t, name), "NL")
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return b
}

var anouk = domain.Identity{Kind: domain.IdentityTelegram, Value: "55501234"}

func TestParse_MessagesBecomeInbound(t *testing.T) {
	tests := []struct {
		fixture  string
		id       string
		text     string
		name     string
		language string
		files    []channel.Attachment
	}{
		{"text.json", "msg:55501234:42", "Hallo, waar blijft mijn bestelling 10234?", "Anouk de Vries", "nl", nil},
		{"photo.json", "msg:55501234:43", "De doos was beschadigd", "Anouk de Vries", "nl",
			[]channel.Attachment{{Ref: "AgACAgQAAxkBAAMrZ1large", Filename: "photo.jpg", ContentType: "image/jpeg"}}},
		{"document.json", "msg:55501234:44", "", "Anouk", "pt",
			[]channel.Attachment{{Ref: "BQACAgQAAxkBAAMsZ1doc", Filename: "factuur-10234.pdf", ContentType: "application/pdf"}}},
		{"voice.json", "msg:55501234:45", "", "Anouk", "",
			[]channel.Attachment{{Ref: "AwACAgQAAxkBAAMtZ1voice", Filename: "voice.ogg", ContentType: "audio/ogg"}}},
		{"sticker.json", "msg:55501234:46", "👍", "Anouk", "",
			[]channel.Attachment{{Ref: "CAACAgIAAxkBAAMuZ1sticker", Filename: "sticker.webp", ContentType: "image/webp"}}},
		{"location.json", "msg:55501234:47", "Location: 52.370216, 4.895168 https://www.openstreetmap.org/?mlat=52.370216&mlon=4.895168", "Anouk", "", nil},
		{"contact.json", "msg:55501234:48", "Contact: Anouk de Vries, +31612345678", "Anouk", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			b := parse(t, tt.fixture)
			if len(b.Messages) != 1 || len(b.Changes)+len(b.Statuses)+len(b.Signals) != 0 {
				t.Fatalf("batch %+v, want one message", b)
			}
			in := b.Messages[0]
			if in.ExternalID != tt.id || in.Text != tt.text || in.Name != tt.name || in.Language != tt.language || in.From != anouk {
				t.Errorf("message %q %q from %v %q (%q), want %q %q from %v %q (%q)", in.ExternalID, in.Text, in.From, in.Name, in.Language,
					tt.id, tt.text, anouk, tt.name, tt.language)
			}
			if in.ProviderAt.IsZero() {
				t.Error("no provider time")
			}
			if len(in.Attachments) != len(tt.files) {
				t.Fatalf("attachments %+v, want %+v", in.Attachments, tt.files)
			}
			for i, a := range in.Attachments {
				if a.Ref != tt.files[i].Ref || a.Filename != tt.files[i].Filename || a.ContentType != tt.files[i].ContentType || a.Data != nil {
					t.Errorf("attachment %+v, want %+v", a, tt.files[i])
				}
			}
		})
	}
}

func TestParse_IgnoresWhatIsNotACustomerConversation(t *testing.T) {
	for _, name := range []string{"group.json", "bot_sender.json", "channel_post.json", "poll.json"} {
		t.Run(name, func(t *testing.T) {
			if b := parse(t, name); !b.Empty() {
				t.Errorf("batch %+v, want it empty", b)
			}
		})
	}
}

func TestParse_EditIsAChange(t *testing.T) {
	b := parse(t, "edited.json")
	want := channel.Change{ExternalID: "msg:55501234:42", Kind: channel.ChangeEdit, From: anouk, Text: "Hallo, waar blijft mijn bestelling 10235?", At: time.Unix(1733580400, 0)}
	if len(b.Messages) != 0 || len(b.Changes) != 1 || b.Changes[0] != want {
		t.Errorf("batch %+v, want the edit %+v", b, want)
	}
}

func TestParse_ReactionsAreChanges(t *testing.T) {
	for _, tt := range []struct{ fixture, emoji string }{{"reaction.json", "❤"}, {"reaction_removed.json", ""}} {
		b := parse(t, tt.fixture)
		if len(b.Changes) != 1 || b.Changes[0].Kind != channel.ChangeReaction || b.Changes[0].ExternalID != "msg:55501234:101" ||
			b.Changes[0].Emoji != tt.emoji || b.Changes[0].From != anouk {
			t.Errorf("%s: batch %+v, want a reaction %q to our message 101", tt.fixture, b, tt.emoji)
		}
	}
}

func TestParse_ButtonTapIsTheLabelWithTheQuickReply(t *testing.T) {
	b := parse(t, "callback.json")
	if len(b.Messages) != 1 {
		t.Fatalf("batch %+v, want one message", b)
	}
	in := b.Messages[0]
	if in.Text != "Retourneren" || string(in.Meta) != `{"quick_reply":"article:7"}` || in.ExternalID != "callback:4382bfdwdsb323b2d9" || in.From != anouk {
		t.Errorf("message %q meta %s id %q from %v, want the label, the quick reply, the callback id and Anouk", in.Text, in.Meta, in.ExternalID, in.From)
	}
}

func TestParse_TapOnADigestButtonIsItsLabelOnly(t *testing.T) {
	long := strings.Repeat("article-with-a-very-long-identifier-", 3)
	data := callbackData(long)
	if len(data) > maxCallbackData {
		t.Fatalf("callback data %q is longer than %d bytes", data, maxCallbackData)
	}
	body := strings.ReplaceAll(string(fixture(t, "callback.json")), `"article:7"`, `"`+data+`"`)
	b, err := New(Config{}).Parse(&domain.Channel{ID: 1}, ContentType, []byte(body), "")
	if err != nil || len(b.Messages) != 1 {
		t.Fatalf("parse: %+v, %v", b, err)
	}
	if in := b.Messages[0]; in.Text != "Retourneren" || in.Meta != nil {
		t.Errorf("message %q meta %s, want the label and no quick reply", in.Text, in.Meta)
	}
}

func TestParse_RefusesWhatIsNotJSON(t *testing.T) {
	_, err := New(Config{}).Parse(&domain.Channel{ID: 1}, ContentType, []byte("<html>"), "")
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != "invalid_json" {
		t.Errorf("err %v, want invalid_json", err)
	}
}

func TestParse_UnknownUpdateKindIsEmpty(t *testing.T) {
	b, err := New(Config{}).Parse(&domain.Channel{ID: 1}, ContentType, []byte(`{"update_id":5,"poll_answer":{"poll_id":"1"}}`), "")
	if err != nil || !b.Empty() {
		t.Errorf("batch %+v, %v, want empty", b, err)
	}
}

func TestLanguage_ReducesTagsToTwoLetters(t *testing.T) {
	for in, want := range map[string]string{"nl": "nl", "pt-br": "pt", "EN": "en", "": "", "zh-hans": "zh", "ast": "", "1x": ""} {
		if got := language(in); got != want {
			t.Errorf("language(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		secrets  map[string]string
		ok       bool
	}{
		{"token only", `{}`, map[string]string{"bot_token": testToken}, true},
		{"own secret and API", `{"api_base_url":"http://127.0.0.1:8081"}`, map[string]string{"bot_token": testToken, "secret_token": "abc_DEF-123"}, true},
		{"no token", `{}`, map[string]string{}, false},
		{"malformed token", `{}`, map[string]string{"bot_token": "hello"}, false},
		{"token with a space", `{}`, map[string]string{"bot_token": "123: abc"}, false},
		{"short token", `{}`, map[string]string{"bot_token": "123:bench"}, true},
		{"bad secret", `{}`, map[string]string{"bot_token": testToken, "secret_token": "no spaces"}, false},
		{"long secret", `{}`, map[string]string{"bot_token": testToken, "secret_token": strings.Repeat("a", 257)}, false},
		{"unknown setting", `{"chat":1}`, map[string]string{"bot_token": testToken}, false},
		{"bad API URL", `{"api_base_url":"ftp://x"}`, map[string]string{"bot_token": testToken}, false},
	}
	for _, tt := range tests {
		err := New(Config{}).Validate(json.RawMessage(tt.settings), tt.secrets)
		var de *domain.Error
		if tt.ok != (err == nil) || (err != nil && !errors.As(err, &de)) {
			t.Errorf("%s: Validate = %v, want ok %v (or a *domain.Error)", tt.name, err, tt.ok)
		}
	}
}

func TestSecretToken_DerivedFromTheBotTokenUnlessSet(t *testing.T) {
	ch := &domain.Channel{Secrets: map[string]string{"bot_token": testToken}}
	derived := secretToken(ch)
	if !secretPattern.MatchString(derived) || strings.Contains(derived, testToken) {
		t.Errorf("derived secret %q is not a valid secret_token", derived)
	}
	if other := secretToken(&domain.Channel{Secrets: map[string]string{"bot_token": testToken + "x"}}); other == derived {
		t.Error("two bot tokens derive the same secret")
	}
	ch.Secrets["secret_token"] = "mine"
	if got := secretToken(ch); got != "mine" {
		t.Errorf("secret %q, want the channel's own", got)
	}
}

func TestPublic(t *testing.T) {
	for base, want := range map[string]bool{"https://support.example.com": true, "https://support.example.com:8443/loket": true,
		"http://support.example.com": false, "": false, "https://localhost:8080": false, "https://127.0.0.1": false, "https://[::1]:8443": false} {
		if got := public(base); got != want {
			t.Errorf("public(%q) = %v, want %v", base, got, want)
		}
	}
}
