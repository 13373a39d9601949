package whatsapp_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/whatsapp"
	"loket.dev/loket/internal/domain"
)

// testChannel is a stored WhatsApp channel for parsing.
func testChannel() *domain.Channel {
	return &domain.Channel{ID: 7, Kind: whatsapp.Kind, Enabled: true,
		Settings: json.RawMessage(`{"phone_number_id":"` + phoneNumberID + `","waba_id":"` + wabaID + `"}`),
		Secrets:  map[string]string{"access_token": accessToken, "app_secret": appSecret, "verify_token": verifyToken}}
}

func TestParse_DocumentedPayloads(t *testing.T) {
	const customer = "phone:+31612345678"
	type msg struct {
		text, meta, ref, filename, contentType, replyTo string
	}
	tests := []struct {
		fixture  string
		messages []msg
		changes  []channel.Change
		statuses []channel.Status
	}{
		{fixture: "text.json", messages: []msg{{text: "Does it come in another color?"}}},
		{fixture: "image.json", messages: []msg{{text: "Black jacket", ref: "1003383421387256", filename: "image.jpg", contentType: "image/jpeg"}}},
		{fixture: "document.json", messages: []msg{{text: "My invoice", ref: "2734598230154211", filename: "invoice-2025-06.pdf", contentType: "application/pdf"}}},
		{fixture: "voice.json", messages: []msg{{ref: "1224563589112039", filename: "audio.ogg", contentType: "audio/ogg; codecs=opus"}}},
		{fixture: "sticker.json", messages: []msg{{ref: "1208457193904153", filename: "sticker.webp", contentType: "image/webp"}}},
		{fixture: "location.json", messages: []msg{{text: "📍 Loket HQ, Damrak 1, Amsterdam\n52.3765,4.8945\n" +
			"https://www.openstreetmap.org/?mlat=52.3765&mlon=4.8945#map=17/52.3765/4.8945\nhttps://loket.example"}}},
		{fixture: "contacts.json", messages: []msg{{text: "👤 Barbara J. Johnson: +1 (415) 555-0123, bjohnson@example.com"}}},
		{fixture: "button_reply.json", messages: []msg{{text: "Shipping", meta: `{"quick_reply":"faq-shipping"}`,
			replyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI1OTZCNkI2RTY2Q0M5MjdBNzgA"}}},
		{fixture: "list_reply.json", messages: []msg{{text: "Returns", meta: `{"quick_reply":"faq-returns"}`,
			replyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI1OTZCNkI2RTY2Q0M5MjdBNzkA"}}},
		{fixture: "template_button.json", messages: []msg{{text: "Stop promotions", meta: `{"quick_reply":"stop-promos"}`,
			replyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI1OTZCNkI2RTY2Q0M5MjdBODAA"}}},
		{fixture: "unsupported.json", messages: []msg{{text: "[unsupported WhatsApp message type: unsupported]"}}},
		{fixture: "reaction.json", changes: []channel.Change{{ExternalID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			Kind: channel.ChangeReaction, Emoji: "👍", At: time.Unix(1750090790, 0).UTC()}}},
		{fixture: "reaction_removed.json", changes: []channel.Change{{ExternalID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
			Kind: channel.ChangeReaction, At: time.Unix(1750090795, 0).UTC()}}},
		{fixture: "statuses.json", statuses: []channel.Status{{ExternalID: "wamid.OUT-READ", Status: domain.DeliveryRead},
			{ExternalID: "wamid.OUT-READ", Status: domain.DeliverySent}, {ExternalID: "wamid.OUT-READ", Status: domain.DeliveryDelivered}}},
		{fixture: "status_failed.json", statuses: []channel.Status{{ExternalID: "wamid.OUT-FAILED", Status: domain.DeliveryFailed,
			Reason: "Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number. (code 131047)"}}},
		{fixture: "other_number.json"},
		{fixture: "template_status.json"},
	}
	a := whatsapp.New(whatsapp.Config{})
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			b, err := a.Parse(testChannel(), "application/json", fixture(t, tt.fixture), "NL")
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Messages) != len(tt.messages) {
				t.Fatalf("%d messages, want %d", len(b.Messages), len(tt.messages))
			}
			for i, want := range tt.messages {
				in := b.Messages[i]
				if in.From.String() != customer || in.Name != "Sheena Nelson" || !strings.HasPrefix(in.ExternalID, "wamid.") || in.ProviderAt.IsZero() {
					t.Errorf("sender %s %q, id %q, at %v: want the customer's, a wamid and a time", in.From, in.Name, in.ExternalID, in.ProviderAt)
				}
				if in.Text != want.text || string(in.Meta) != want.meta {
					t.Errorf("text %q meta %s, want %q %s", in.Text, in.Meta, want.text, want.meta)
				}
				if got := strings.Join(in.ReplyTo, ","); got != want.replyTo {
					t.Errorf("reply to %q, want %q", got, want.replyTo)
				}
				if want.ref == "" {
					if len(in.Attachments) != 0 {
						t.Errorf("attachments %+v, want none", in.Attachments)
					}
					continue
				}
				if len(in.Attachments) != 1 {
					t.Fatalf("attachments %+v, want one", in.Attachments)
				}
				if att := in.Attachments[0]; att.Ref != want.ref || att.Filename != want.filename || att.ContentType != want.contentType || att.Data != nil {
					t.Errorf("attachment %+v, want ref %s named %s of type %s, not yet fetched", att, want.ref, want.filename, want.contentType)
				}
			}
			for i := range tt.changes {
				tt.changes[i].From = domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"}
			}
			if got, _ := json.Marshal(b.Changes); string(got) != string(must(json.Marshal(tt.changes))) {
				t.Errorf("changes %s, want %s", got, must(json.Marshal(tt.changes)))
			}
			if got, _ := json.Marshal(b.Statuses); string(got) != string(must(json.Marshal(tt.statuses))) {
				t.Errorf("statuses %s, want %s", got, must(json.Marshal(tt.statuses)))
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestParse_RefusesWhatIsNotAWhatsAppPayload(t *testing.T) {
	a := whatsapp.New(whatsapp.Config{})
	tests := []struct {
		name, contentType, body, code string
	}{
		{"form", "application/x-www-form-urlencoded", `object=whatsapp_business_account`, "unsupported_media_type"},
		{"no type", "", string(fixture(t, "text.json")), "unsupported_media_type"},
		{"not json", "application/json", `{"object":`, "invalid_json"},
		{"another object", "application/json", `{"object":"page","entry":[]}`, "invalid_payload"},
		{"no sender", "application/json", strings.Replace(string(fixture(t, "text.json")), `"from": "31612345678"`, `"from": "nobody"`, 1), "invalid_payload"},
		{"no id", "application/json", strings.Replace(string(fixture(t, "text.json")), `"id": "wamid.`, `"idx": "wamid.`, 1), "invalid_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Parse(testChannel(), tt.contentType, []byte(tt.body), "NL")
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code {
				t.Fatalf("error %v, want %s", err, tt.code)
			}
		})
	}
}

// FuzzParse: any body parses into messages the desk can store, or is
// refused with a *domain.Error; never a panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := whatsapp.New(whatsapp.Config{})
	ch := testChannel()
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := a.Parse(ch, "application/json", body, "NL")
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *domain.Error", err)
			}
			return
		}
		for _, in := range b.Messages {
			if in.ExternalID == "" || len(in.ExternalID) > domain.MaxIDBytes || in.From.Kind != domain.IdentityPhone || in.From.Value == "" {
				t.Fatalf("message %+v has no usable id or sender", in)
			}
			if strings.TrimSpace(in.Text) == "" && len(in.Attachments) == 0 {
				t.Fatalf("message %+v is empty", in)
			}
			if len(in.Name) > domain.MaxNameBytes {
				t.Fatalf("name %q is too long", in.Name)
			}
			for _, att := range in.Attachments {
				if att.Ref == "" || att.Filename == "" {
					t.Fatalf("attachment %+v has no ref or name", att)
				}
			}
		}
		for _, s := range b.Statuses {
			if !s.Status.Valid() || s.ExternalID == "" {
				t.Fatalf("status %+v", s)
			}
		}
		for _, c := range b.Changes {
			if c.ExternalID == "" || c.Kind != channel.ChangeReaction {
				t.Fatalf("change %+v", c)
			}
		}
	})
}
