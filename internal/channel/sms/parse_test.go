package sms

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse_Fixtures(t *testing.T) {
	a := New(Config{})
	phone := domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"}
	tests := []struct {
		file     string
		message  *channel.Inbound
		statuses []channel.Status
	}{
		{file: "twilio_inbound.form", message: &channel.Inbound{ExternalID: "SM0a1b2c3d4e5f60718293a4b5c6d7e8f9", From: phone, Text: "Waar blijft mijn pakket?"}},
		{file: "twilio_stop.form", message: &channel.Inbound{ExternalID: "SM5566778899aabbccddeeff0011223344", From: phone, Text: " stop ", Consent: channel.ConsentOut}},
		{file: "twilio_mms.form", message: &channel.Inbound{ExternalID: "MM1f2e3d4c5b6a79881726354433221100", From: phone, Text: "Zo ziet de doos eruit",
			Attachments: []channel.Attachment{{Filename: "media-1.jpg", ContentType: "image/jpeg",
				Ref: "https://api.twilio.com/2010-04-01/Accounts/AC00112233445566778899aabbccddeeff/Messages/MM1f2e3d4c5b6a79881726354433221100/Media/ME99887766554433221100ffeeddccbbaa"}}}},
		{file: "twilio_status_delivered.form", statuses: []channel.Status{{ExternalID: "SMaabbccddeeff00112233445566778899", Status: domain.DeliveryDelivered}}},
		{file: "twilio_status_undelivered.form", statuses: []channel.Status{{ExternalID: "SMaabbccddeeff00112233445566778899", Status: domain.DeliveryFailed,
			Reason: "Twilio error 30003: Unreachable destination handset"}}},
		{file: "cm_mo.json", message: &channel.Inbound{ExternalID: "cm-", From: phone, Text: "Waar blijft mijn pakket?",
			ProviderAt: time.Date(2026, 12, 7, 19, 30, 5, 0, time.UTC)}},
		{file: "cm_dlr_delivered.json", statuses: []channel.Status{{ExternalID: "loketmessage42", Status: domain.DeliveryDelivered}}},
		{file: "cm_dlr_failed.json", statuses: []channel.Status{{ExternalID: "loketmessage42", Status: domain.DeliveryFailed, Reason: "CM error 5: Absent subscriber"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ct := contentTypeForm
			if filepath.Ext(tt.file) == ".json" {
				ct = contentTypeJSON
			}
			b, err := a.Parse(nil, ct, readFixture(t, tt.file), "NL")
			if err != nil {
				t.Fatal(err)
			}
			if tt.message == nil {
				if len(b.Messages) != 0 || !equalStatuses(b.Statuses, tt.statuses) {
					t.Fatalf("batch %+v, want statuses %+v", b, tt.statuses)
				}
				return
			}
			if len(b.Messages) != 1 || len(b.Statuses) != 0 {
				t.Fatalf("batch %+v, want one message", b)
			}
			got, want := b.Messages[0], tt.message
			if want.ExternalID == "cm-" {
				if len(got.ExternalID) != 35 || got.ExternalID[:3] != "cm-" {
					t.Errorf("external id %q, want cm- and a digest", got.ExternalID)
				}
				want.ExternalID = got.ExternalID
			}
			if got.ExternalID != want.ExternalID || got.From != want.From || got.Text != want.Text || got.Consent != want.Consent ||
				!got.ProviderAt.Equal(want.ProviderAt) || len(got.Attachments) != len(want.Attachments) {
				t.Fatalf("message %+v, want %+v", got, want)
			}
			for i := range want.Attachments {
				if g, w := got.Attachments[i], want.Attachments[i]; g.Filename != w.Filename || g.ContentType != w.ContentType || g.Ref != w.Ref {
					t.Errorf("attachment %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func equalStatuses(a, b []channel.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParse_CMRetryOfTheSameMessageHasTheSameID(t *testing.T) {
	a := New(Config{})
	body := readFixture(t, "cm_mo.json")
	first, err := a.Parse(nil, contentTypeJSON, body, "NL")
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.Parse(nil, contentTypeJSON, []byte(`{"from":{"number":"0031612345678"},"to":{"number":"0031970102030"},"message":{"text":"Waar blijft mijn pakket?"},"timeUtc":"2026-12-07T19:30:05","channel":"SMS"}`), "NL")
	if err != nil {
		t.Fatal(err)
	}
	if first.Messages[0].ExternalID != again.Messages[0].ExternalID {
		t.Errorf("ids %q and %q, want the same", first.Messages[0].ExternalID, again.Messages[0].ExternalID)
	}
}

func TestParse_RefusesWhatProvidersDoNotSend(t *testing.T) {
	a := New(Config{})
	tests := []struct {
		name, contentType, body, code string
	}{
		{"XML status report", "application/xml", `<MESSAGES/>`, "unsupported_media_type"},
		{"form without a sid", contentTypeForm, `From=%2B31612345678&Body=hi`, "missing_message_sid"},
		{"sender is not a phone", contentTypeForm, `MessageSid=SM1&From=hello&Body=hi`, "invalid_from"},
		{"bad form", contentTypeForm, `MessageSid=%zz`, "invalid_form"},
		{"not JSON", contentTypeJSON, `{`, "invalid_json"},
		{"CM without a sender", contentTypeJSON, `{"message":{"text":"hi"},"timeUtc":"2026-12-07T19:30:05"}`, "invalid_from"},
		{"CM without a time", contentTypeJSON, `{"from":{"number":"0031612345678"},"message":{"text":"hi"}}`, "invalid_time"},
		{"CM report of the wrong shape", contentTypeJSON, `{"messages":{"msg":"x"}}`, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Parse(nil, tt.contentType, []byte(tt.body), "NL")
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code {
				t.Errorf("error %v, want %s", err, tt.code)
			}
		})
	}
}

func TestParse_IgnoresCMMessagesOfOtherChannels(t *testing.T) {
	b, err := New(Config{}).Parse(nil, contentTypeJSON, []byte(`{"from":{"number":"0031612345678"},"message":{"text":"hi"},"timeUtc":"2026-12-07T19:30:05","channel":"WhatsApp"}`), "NL")
	if err != nil || !b.Empty() {
		t.Errorf("batch %+v (%v), want nothing", b, err)
	}
}

func TestConsentOf_WholeMessageKeywords(t *testing.T) {
	tests := map[string]channel.Consent{
		"STOP": channel.ConsentOut, " stop ": channel.ConsentOut, "Stop Alle": channel.ConsentOut, "stop  alle": channel.ConsentOut,
		"STOPALL": channel.ConsentOut, "unsubscribe": channel.ConsentOut, "Cancel": channel.ConsentOut, "END": channel.ConsentOut,
		"quit": channel.ConsentOut, "STOPP": channel.ConsentOut, "afmelden": channel.ConsentOut,
		"START": channel.ConsentIn, "yes": channel.ConsentIn, "Unstop": channel.ConsentIn, "AANMELDEN": channel.ConsentIn,
		"Please stop sending": channel.ConsentNone, "STOP!": channel.ConsentNone, "": channel.ConsentNone, "stoppen": channel.ConsentNone,
	}
	for text, want := range tests {
		if got := consentOf(text); got != want {
			t.Errorf("consentOf(%q) = %q, want %q", text, got, want)
		}
	}
}
