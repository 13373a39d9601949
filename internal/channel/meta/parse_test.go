package meta

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

const (
	pageID      = "104523987654321"
	igAccountID = "17841400000000001"
	psid        = "6789012345678901"
	igsid       = "5566778899001122"
	firstMid    = "m_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ"
)

func messengerChannel() *domain.Channel {
	return &domain.Channel{ID: 7, Kind: KindMessenger, Settings: json.RawMessage(`{"page_id":"` + pageID + `"}`)}
}

func instagramChannel() *domain.Channel {
	return &domain.Channel{ID: 8, Kind: KindInstagram,
		Settings: json.RawMessage(`{"page_id":"` + pageID + `","instagram_account_id":"` + igAccountID + `"}`)}
}

// fixture reads testdata/name with its placeholders filled in.
func fixture(t testing.TB, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(b)))
}

func TestParse_Fixtures(t *testing.T) {
	m, ig := Messenger(Config{}), Instagram(Config{})
	from := domain.Identity{Kind: domain.IdentityMessenger, Value: psid}
	igFrom := domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}
	tests := []struct {
		name    string
		a       *Adapter
		ch      *domain.Channel
		fixture string
		check   func(t *testing.T, b *channel.Batch)
	}{
		{"a text message is the customer's, with Meta's id and time", m, messengerChannel(), "messenger_text.json", func(t *testing.T, b *channel.Batch) {
			want := 1
			if len(b.Messages) != want || len(b.Statuses)+len(b.Changes) != 0 {
				t.Fatalf("batch %+v, want one message", b)
			}
			in := b.Messages[0]
			if in.From != from || in.ExternalID != firstMid || in.Text != "Hoi! Waar blijft mijn bestelling 10442?" || in.ProviderAt.UnixMilli() != 1765105199876 {
				t.Errorf("inbound %+v", in)
			}
		}},
		{"an image is an attachment to fetch from its URL", m, messengerChannel(), "messenger_image.json", func(t *testing.T, b *channel.Batch) {
			in := b.Messages[0]
			if len(in.Attachments) != 1 || in.Attachments[0].Ref != "https://cdn.example/v/t1.15752-9/4411_label_n.jpg?_nc_cat=1&oh=00_abc&oe=6789ABCD" ||
				in.Attachments[0].Filename != "4411_label_n.jpg" || in.Text != "Zo ziet het pakket eruit" {
				t.Fatalf("attachments %+v", in.Attachments)
			}
		}},
		{"a quick reply carries its payload for the bot", m, messengerChannel(), "messenger_quick_reply.json", func(t *testing.T, b *channel.Batch) {
			if in := b.Messages[0]; in.Text != "Bezorging" || string(in.Meta) != `{"quick_reply":"faq-42"}` {
				t.Errorf("inbound %q meta %s", in.Text, in.Meta)
			}
		}},
		{"an echo of our own Page's message is skipped", m, messengerChannel(), "messenger_echo.json", func(t *testing.T, b *channel.Batch) {
			if !b.Empty() {
				t.Errorf("batch %+v, want nothing", b)
			}
		}},
		{"a delivery names each message, or everything up to its watermark", m, messengerChannel(), "messenger_delivery.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Statuses) != 3 || b.Statuses[0] != (channel.Status{ExternalID: "m_sent-1", Status: domain.DeliveryDelivered}) || b.Statuses[1].ExternalID != "m_unknown-1" ||
				b.Statuses[2] != (channel.Status{Status: domain.DeliveryDelivered, To: from, Through: time.UnixMilli(1765105439000)}) {
				t.Errorf("statuses %+v", b.Statuses)
			}
		}},
		{"Messenger's read receipt is a watermark for the customer's address", m, messengerChannel(), "messenger_read.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Statuses) != 1 || b.Statuses[0] != (channel.Status{Status: domain.DeliveryRead, To: from, Through: time.UnixMilli(1765105498000)}) {
				t.Errorf("statuses %+v, want read up to the watermark", b.Statuses)
			}
		}},
		{"a reaction is a change of the message it names", m, messengerChannel(), "messenger_reaction.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Changes) != 1 || b.Changes[0].Kind != channel.ChangeReaction || b.Changes[0].Emoji != "❤️" || b.Changes[0].ExternalID != firstMid || b.Changes[0].From != from {
				t.Errorf("changes %+v", b.Changes)
			}
		}},
		{"an edit carries the new text", m, messengerChannel(), "messenger_edit.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Changes) != 1 || b.Changes[0].Kind != channel.ChangeEdit || b.Changes[0].Text != "Hoi! Waar blijft mijn bestelling 10443?" {
				t.Errorf("changes %+v", b.Changes)
			}
		}},
		{"locations and links become text, a postback a choice, an unreact an empty emoji; another Page is ignored", m, messengerChannel(), "messenger_mixed.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Messages) != 2 || len(b.Changes) != 1 {
				t.Fatalf("batch %+v", b)
			}
			if got := b.Messages[0].Text; got != "Location: 52.3676, 4.9041\n[fallback] Track & Trace https://jouw.postnl.nl/track/3SABC123" {
				t.Errorf("text %q", got)
			}
			if in := b.Messages[1]; in.ExternalID != "m_postback-1" || in.Text != "Praat met een medewerker" || string(in.Meta) != `{"quick_reply":"handover"}` {
				t.Errorf("postback %+v", in)
			}
			if c := b.Changes[0]; c.Kind != channel.ChangeReaction || c.Emoji != "" {
				t.Errorf("unreact %+v", c)
			}
		}},
		{"an Instagram message is from the Instagram-scoped id", ig, instagramChannel(), "instagram_text.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Messages) != 1 || b.Messages[0].From != igFrom || b.Messages[0].Text != "Is deze jas er ook in maat M?" {
				t.Fatalf("batch %+v", b)
			}
		}},
		{"Instagram names the message read; shares are links, unsupported and deleted messages are kept as such", ig, instagramChannel(), "instagram_events.json", func(t *testing.T, b *channel.Batch) {
			if len(b.Statuses) != 1 || b.Statuses[0] != (channel.Status{ExternalID: "m_sent-1", Status: domain.DeliveryRead}) {
				t.Errorf("statuses %+v", b.Statuses)
			}
			if len(b.Changes) != 2 || b.Changes[0].Emoji != "❤️" || b.Changes[1].Kind != channel.ChangeDelete || b.Changes[1].ExternalID != "ig-deleted-1" {
				t.Errorf("changes %+v", b.Changes)
			}
			if len(b.Messages) != 2 || b.Messages[0].Text != "[share] https://www.instagram.com/p/C0abcDEF/" || !strings.Contains(b.Messages[1].Text, "does not share") {
				t.Errorf("messages %q, %q", b.Messages[0].Text, b.Messages[len(b.Messages)-1].Text)
			}
		}},
		{"a Messenger payload on an Instagram channel names another account", ig, instagramChannel(), "messenger_text.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.a.Parse(tt.ch, "application/json", fixture(t, tt.fixture, "{{MID}}", "m_sent-1", "{{CDN}}", "https://cdn.example"), "NL")
			if tt.check == nil {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != "unknown_object" {
					t.Fatalf("err %v, want unknown_object", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, b)
		})
	}
}

func TestParse_RefusesWhatIsNotAMetaWebhook(t *testing.T) {
	a := Messenger(Config{})
	tests := []struct{ name, contentType, body, code string }{
		{"form body", "application/x-www-form-urlencoded", `object=page`, "unsupported_media_type"},
		{"not JSON", "application/json", `{"object":`, "invalid_json"},
		{"two objects", "application/json", `{"object":"page"} {}`, "invalid_json"},
		{"WhatsApp's object", "application/json", `{"object":"whatsapp_business_account","entry":[]}`, "unknown_object"},
		{"no object", "application/json", `{"entry":[]}`, "unknown_object"},
		{"a sender that is no Meta id", "application/json", `{"object":"page","entry":[{"id":"` + pageID + `","messaging":[{"sender":{"id":"a b"},"recipient":{"id":"` + pageID + `"},"message":{"mid":"m1","text":"x"}}]}]}`, "invalid_payload"},
		{"a message without mid", "application/json", `{"object":"page","entry":[{"id":"` + pageID + `","messaging":[{"sender":{"id":"1"},"recipient":{"id":"` + pageID + `"},"message":{"text":"x"}}]}]}`, "invalid_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Parse(messengerChannel(), tt.contentType, []byte(tt.body), "NL")
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code {
				t.Errorf("err %v, want %s", err, tt.code)
			}
		})
	}
}
