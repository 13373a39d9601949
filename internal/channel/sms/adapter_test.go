package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func twilioChannel(apiBase string) *domain.Channel {
	return &domain.Channel{ID: 7, Kind: Kind, Enabled: true,
		Settings: json.RawMessage(fmt.Sprintf(`{"provider":"twilio","from":"+3197010203040","account_sid":%q,"api_base_url":%q}`, testAccountSID, apiBase)),
		Secrets:  map[string]string{SecretAuthToken: testAuthToken}}
}

func cmChannel(apiBase string) *domain.Channel {
	return &domain.Channel{ID: 8, Kind: Kind, Enabled: true,
		Settings: json.RawMessage(fmt.Sprintf(`{"provider":"cm","from":"Loket","api_base_url":%q}`, apiBase)),
		Secrets:  map[string]string{SecretProductToken: testProduct, SecretWebhookToken: testHookToken}}
}

func outbound(ch *domain.Channel, id int64, text string, meta string) *channel.Outbound {
	m := &domain.Message{ID: id, Text: text}
	if meta != "" {
		m.Meta = json.RawMessage(meta)
	}
	return &channel.Outbound{Channel: ch, Message: m, To: &domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"},
		IdempotencyKey: fmt.Sprintf("loket-message-%d", id)}
}

func TestValidate_Settings(t *testing.T) {
	twilioSecrets := map[string]string{SecretAuthToken: "x"}
	cmSecrets := map[string]string{SecretProductToken: testProduct, SecretWebhookToken: testHookToken}
	tests := []struct {
		name     string
		settings string
		secrets  map[string]string
		code     string
	}{
		{"twilio with a number", `{"provider":"twilio","from":"+3197010203040","account_sid":"` + testAccountSID + `"}`, twilioSecrets, ""},
		{"twilio with a messaging service", `{"provider":"twilio","account_sid":"` + testAccountSID + `","messaging_service_sid":"MG00112233445566778899aabbccddeeff"}`, twilioSecrets, ""},
		{"twilio with an alphanumeric sender", `{"provider":"twilio","from":"Loket Shop","account_sid":"` + testAccountSID + `"}`, twilioSecrets, ""},
		{"cm", `{"provider":"cm","from":"+3197010203040"}`, cmSecrets, ""},
		{"cm with its own address", `{"provider":"cm","from":"Loket","api_base_url":"https://gw.cmtelecom.com"}`, cmSecrets, ""},
		{"no provider", `{"from":"+3197010203040"}`, nil, "invalid_provider"},
		{"unknown provider", `{"provider":"nexmo"}`, nil, "invalid_provider"},
		{"unknown field", `{"provider":"twilio","form":"+31"}`, nil, "invalid_settings"},
		{"bad account sid", `{"provider":"twilio","from":"+3197010203040","account_sid":"SK12"}`, twilioSecrets, "invalid_account_sid"},
		{"no auth token", `{"provider":"twilio","from":"+3197010203040","account_sid":"` + testAccountSID + `"}`, nil, "missing_auth_token"},
		{"bad messaging service", `{"provider":"twilio","account_sid":"` + testAccountSID + `","messaging_service_sid":"XY1"}`, twilioSecrets, "invalid_messaging_service_sid"},
		{"twilio without a sender", `{"provider":"twilio","account_sid":"` + testAccountSID + `"}`, twilioSecrets, "missing_from"},
		{"bad sender", `{"provider":"twilio","from":"06-12345678","account_sid":"` + testAccountSID + `"}`, twilioSecrets, "invalid_from"},
		{"sender too long", `{"provider":"cm","from":"Loket Webshop"}`, cmSecrets, "invalid_from"},
		{"bad api address", `{"provider":"twilio","from":"+3197010203040","account_sid":"` + testAccountSID + `","api_base_url":"ftp://x"}`, twilioSecrets, "invalid_api_base_url"},
		{"twilio settings on cm", `{"provider":"cm","from":"Loket","account_sid":"` + testAccountSID + `"}`, cmSecrets, "invalid_settings"},
		{"cm without a sender", `{"provider":"cm"}`, cmSecrets, "missing_from"},
		{"cm with a bad product token", `{"provider":"cm","from":"Loket"}`, map[string]string{SecretProductToken: "abc", SecretWebhookToken: testHookToken}, "invalid_product_token"},
		{"cm with a short webhook token", `{"provider":"cm","from":"Loket"}`, map[string]string{SecretProductToken: testProduct, SecretWebhookToken: "short"}, "invalid_webhook_token"},
	}
	a := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Validate(json.RawMessage(tt.settings), tt.secrets)
			var de *domain.Error
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.code != "" && (!errors.As(err, &de) || de.Code != tt.code):
				t.Errorf("error %v, want %s", err, tt.code)
			}
		})
	}
}

func TestWithQuickReplies_AppendsANumberedListOnce(t *testing.T) {
	choices := []channel.QuickReply{{ID: "a", Label: "Track my parcel"}, {ID: "b", Label: "Talk to someone"}}
	want := "How can we help?\n\n1. Track my parcel\n2. Talk to someone"
	if got := withQuickReplies("How can we help?\n", choices); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := withQuickReplies(want, choices); got != want {
		t.Errorf("listed twice: %q", got)
	}
	if got := withQuickReplies("Hi", nil); got != "Hi" {
		t.Errorf("got %q without choices", got)
	}
}

func TestCMReference_FitsCMAndIsStable(t *testing.T) {
	if got := cmReference("loket-message-42"); got != "loketmessage42" {
		t.Errorf("reference %q", got)
	}
	long := cmReference(strings.Repeat("x", 40))
	if len(long) != 32 || long != cmReference(strings.Repeat("x", 40)) {
		t.Errorf("reference of a long key %q", long)
	}
}

func TestSend_TwilioWireFormat(t *testing.T) {
	f := newFakeTwilio(t)
	a := New(Config{BaseURL: func() string { return "https://loket.example/" }})
	sent, err := a.Send(context.Background(), outbound(twilioChannel(f.URL), 42, "How can we help?", `{"quick_replies":[{"id":"t","label":"Track"},{"id":"h","label":"Human"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if sent.ExternalID != "SM00000000000000000000000000000001" || sent.Status != domain.DeliverySent {
		t.Errorf("sent %+v", sent)
	}
	got := f.sends()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	want := map[string]string{"To": "+31612345678", "From": "+3197010203040", "Body": "How can we help?\n\n1. Track\n2. Human",
		"StatusCallback": "https://loket.example/api/v1/sms/7/status", "MessagingServiceSid": ""}
	for k, v := range want {
		if got[0].Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got[0].Get(k), v)
		}
	}

	ch := twilioChannel(f.URL)
	ch.Settings = json.RawMessage(fmt.Sprintf(`{"provider":"twilio","account_sid":%q,"messaging_service_sid":"MG00112233445566778899aabbccddeeff","api_base_url":%q}`, testAccountSID, f.URL))
	if _, err := a.Send(context.Background(), outbound(ch, 43, "Hi", "")); err != nil {
		t.Fatal(err)
	}
	if got := f.sends()[1]; got.Get("MessagingServiceSid") != "MG00112233445566778899aabbccddeeff" || got.Has("From") {
		t.Errorf("messaging service send %v", got)
	}
}

func TestSend_TwilioFailuresRetryOrNot(t *testing.T) {
	tests := []struct {
		name      string
		fail      fakeFailure
		permanent bool
		text      string
	}{
		{"rate limited", fakeFailure{429, 20429, "Too Many Requests"}, false, "429"},
		{"server error", fakeFailure{503, 0, "Service Unavailable"}, false, "503"},
		{"unsubscribed recipient", fakeFailure{400, 21610, "Attempt to send to unsubscribed recipient"}, true, "Twilio error 21610: Attempt to send to unsubscribed recipient"},
		{"invalid To", fakeFailure{400, 21211, "The 'To' number +31 is not a valid phone number."}, true, "Twilio error 21211"},
		{"not found", fakeFailure{404, 20404, "The requested resource was not found"}, true, "20404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTwilio(t)
			f.failNext(tt.fail)
			_, err := New(Config{}).Send(context.Background(), outbound(twilioChannel(f.URL), 1, "Hi", ""))
			if err == nil || channel.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %v (permanent %v), want permanent %v with %q", err, channel.IsPermanent(err), tt.permanent, tt.text)
			}
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		f := newFakeTwilio(t)
		ch := twilioChannel(f.URL)
		ch.Secrets[SecretAuthToken] = "wrong"
		if _, err := New(Config{}).Send(context.Background(), outbound(ch, 1, "Hi", "")); !channel.IsPermanent(err) || !strings.Contains(err.Error(), "20003") {
			t.Errorf("error %v, want a permanent 20003", err)
		}
	})
}

func TestSend_RefusesWhatCannotBeTexted(t *testing.T) {
	a := New(Config{})
	out := outbound(twilioChannel("http://127.0.0.1:1"), 1, "Hi", "")
	out.To = &domain.Identity{Kind: domain.IdentityEmail, Value: "jan@example.com"}
	if _, err := a.Send(context.Background(), out); !channel.IsPermanent(err) {
		t.Errorf("sent to an e-mail address: %v", err)
	}
	if _, err := a.Send(context.Background(), outbound(twilioChannel("http://127.0.0.1:1"), 2, "  ", "")); !channel.IsPermanent(err) {
		t.Errorf("sent an empty text: %v", err)
	}
}

func TestSend_CMWireFormat(t *testing.T) {
	f := newFakeCM(t)
	text := strings.Repeat("Uw pakket komt morgen. ", 10) // 230 GSM-7 characters: two parts
	sent, err := New(Config{}).Send(context.Background(), outbound(cmChannel(f.URL), 42, text, ""))
	if err != nil {
		t.Fatal(err)
	}
	if sent.ExternalID != "loketmessage42" || sent.Status != domain.DeliverySent {
		t.Errorf("sent %+v", sent)
	}
	_, raw := f.requests()
	if len(raw) != 1 {
		t.Fatalf("%d requests", len(raw))
	}
	var got map[string]any
	json.Unmarshal(raw[0], &got)
	wantJSON := fmt.Sprintf(`{"messages":{"authentication":{"productToken":%q},"msg":[{"from":"Loket","to":[{"number":"0031612345678"}],
		"body":{"type":"auto","content":%q},"reference":"loketmessage42","allowedChannels":["SMS"],
		"minimumNumberOfMessageParts":1,"maximumNumberOfMessageParts":2}]}}`, testProduct, text)
	var want map[string]any
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if g, w := mustJSON(got), mustJSON(want); g != w {
		t.Errorf("request\n%s\nwant\n%s", g, w)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSend_CMFailuresRetryOrNot(t *testing.T) {
	f := newFakeCM(t)
	a := New(Config{})
	f.mu.Lock()
	f.fail = []int{500}
	f.mu.Unlock()
	if _, err := a.Send(context.Background(), outbound(cmChannel(f.URL), 1, "Hi", "")); err == nil || channel.IsPermanent(err) {
		t.Errorf("a 500 gave %v, want a retryable error", err)
	}
	ch := cmChannel(f.URL)
	ch.Secrets[SecretProductToken] = "00000000-0000-0000-0000-000000000000"
	if _, err := a.Send(context.Background(), outbound(ch, 2, "Hi", "")); !channel.IsPermanent(err) || !strings.Contains(err.Error(), "No account found") {
		t.Errorf("a wrong token gave %v, want a permanent error with CM's words", err)
	}
	if _, err := a.Send(context.Background(), outbound(cmChannel(f.URL), 3, strings.Repeat("ж", 600), "")); !channel.IsPermanent(err) || !strings.Contains(err.Error(), "9 SMS parts") {
		t.Errorf("a text of 9 parts gave %v, want a permanent error", err)
	}
	if reqs, _ := f.requests(); len(reqs) != 2 {
		t.Errorf("%d requests reached CM, want 2 (the long text is refused before)", len(reqs))
	}
}

func TestCheck_SignsInToTwilio(t *testing.T) {
	f := newFakeTwilio(t)
	a := New(Config{})
	if got := a.Check(context.Background(), twilioChannel(f.URL)); len(got) != 1 || !got[0].OK || !strings.Contains(got[0].Detail, "Loket tests") {
		t.Errorf("checks %+v", got)
	}
	ch := twilioChannel(f.URL)
	ch.Secrets[SecretAuthToken] = "wrong"
	if got := a.Check(context.Background(), ch); len(got) != 1 || got[0].OK || !strings.Contains(got[0].Detail, "20003") {
		t.Errorf("checks with a wrong token %+v", got)
	}
	if got := a.Check(context.Background(), cmChannel("http://127.0.0.1:1")); len(got) != 1 || !got[0].OK {
		t.Errorf("cm checks %+v", got)
	}
}

func TestFetch_DownloadsTwilioMedia(t *testing.T) {
	f := newFakeTwilio(t)
	a := New(Config{})
	ch := twilioChannel(f.URL)
	media := f.URL + "/2010-04-01/Accounts/" + testAccountSID + "/Messages/MM1/Media/"
	in := &channel.Inbound{ExternalID: "MM1", Text: "Kijk", Attachments: []channel.Attachment{
		{Filename: "media-1.bin", ContentType: "application/octet-stream", Ref: media + "ME1"},
		{Filename: "media-2.mp4", ContentType: "video/mp4", Ref: media + "MEhuge"},
	}}
	if err := a.Fetch(context.Background(), ch, in); err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 1 || string(in.Attachments[0].Data) != string(testMedia) || in.Attachments[0].ContentType != "image/jpeg" {
		t.Errorf("attachments %+v", in.Attachments)
	}
	if !strings.Contains(in.Text, "media-2.mp4 was not kept") {
		t.Errorf("text %q does not say the large media was dropped", in.Text)
	}
	// Media elsewhere is never fetched with the account's credentials;
	// the message keeps its text and the link.
	foreign := &channel.Inbound{ExternalID: "MM2", Text: "Kijk", Attachments: []channel.Attachment{{Filename: "x.jpg", Ref: "https://attacker.example/x"}}}
	if err := a.Fetch(context.Background(), ch, foreign); err != nil || len(foreign.Attachments) != 0 || !strings.Contains(foreign.Text, "https://attacker.example/x") {
		t.Errorf("media outside Twilio: %v, attachments %d, text %q", err, len(foreign.Attachments), foreign.Text)
	}
}
