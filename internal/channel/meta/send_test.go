package meta

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

// channelOn is a stored channel of kind speaking to the fake.
func channelOn(g *fakeGraph, kind string) *domain.Channel {
	var all map[string]string
	json.Unmarshal([]byte(g.settings(kind)), &all)
	secrets := map[string]string{}
	for _, k := range []string{SecretPageAccessToken, SecretAppSecret, SecretVerifyToken} {
		secrets[k] = all[k]
		delete(all, k)
	}
	settings, _ := json.Marshal(all)
	return &domain.Channel{ID: 3, Kind: kind, Settings: settings, Secrets: secrets, Enabled: true}
}

func outbound(ch *domain.Channel, to domain.Identity, m *domain.Message, files map[string]string) *channel.Outbound {
	return &channel.Outbound{Channel: ch, Message: m, To: &to,
		Attachment: func(_ context.Context, a domain.Attachment) ([]byte, error) { return []byte(files[a.Filename]), nil }}
}

func TestSend_TextWithQuickReplies(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{})
	var choices []channel.QuickReply
	for i := range 15 {
		choices = append(choices, channel.QuickReply{ID: fmt.Sprintf("faq-%d", i), Label: fmt.Sprintf("Vraag %d over de bezorging van pakketten", i)})
	}
	meta, _ := json.Marshal(map[string]any{"quick_replies": choices})
	res, err := a.Send(context.Background(), outbound(channelOn(g, KindMessenger), domain.Identity{Kind: domain.IdentityMessenger, Value: psid},
		&domain.Message{ID: 41, Text: "Waar gaat je vraag over?", Meta: meta}, nil))
	if err != nil {
		t.Fatal(err)
	}
	sends := g.Sends()
	if res.ExternalID != "m_sent-1" || len(sends) != 1 {
		t.Fatalf("sent %+v with %d calls, want m_sent-1 in one", res, len(sends))
	}
	s := sends[0]
	if s.Path != pageID || s.Recipient.ID != psid || s.MessagingType != "RESPONSE" {
		t.Errorf("call %+v", s)
	}
	var msg struct {
		Text         string       `json:"text"`
		QuickReplies []quickReply `json:"quick_replies"`
	}
	if err := json.Unmarshal(s.Message, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != "Waar gaat je vraag over?" || len(msg.QuickReplies) != 13 {
		t.Fatalf("message %s, want the text and 13 quick replies", s.Message)
	}
	if q := msg.QuickReplies[0]; q != (quickReply{ContentType: "text", Title: "Vraag 0 over de bez…", Payload: "faq-0"}) {
		t.Errorf("first quick reply %+v, want a 20-character title", q)
	}
}

func TestSend_FilesAreUploadedBeforeTheText(t *testing.T) {
	g := newFakeGraph(t)
	a := Instagram(Config{})
	m := &domain.Message{ID: 42, Text: "Hier is je factuur.", Attachments: []domain.Attachment{
		{Filename: "factuur.pdf", ContentType: "application/pdf"}, {Filename: "jas.jpg", ContentType: "image/jpeg"}}}
	res, err := a.Send(context.Background(), outbound(channelOn(g, KindInstagram), domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}, m,
		map[string]string{"factuur.pdf": "%PDF-1.7", "jas.jpg": jpeg}))
	if err != nil {
		t.Fatal(err)
	}
	sends := g.Sends()
	if len(sends) != 3 || res.ExternalID != "m_sent-3" {
		t.Fatalf("%d calls answering %+v, want two files and the text, the text's id", len(sends), res)
	}
	for i, want := range []struct{ typ, file, ct, name string }{{"file", "%PDF-1.7", "application/pdf", "factuur.pdf"}, {"image", jpeg, "image/jpeg", "jas.jpg"}} {
		s := sends[i]
		if s.Recipient.ID != igsid || s.File != want.file || s.FileType != want.ct || s.FileName != want.name ||
			string(s.Message) != `{"attachment":{"type":"`+want.typ+`","payload":{"is_reusable":false}}}` {
			t.Errorf("upload %d: %+v", i, s)
		}
	}
	if !strings.Contains(string(sends[2].Message), "Hier is je factuur.") {
		t.Errorf("last call %s, want the text", sends[2].Message)
	}
}

func TestSend_Failures(t *testing.T) {
	tests := []struct {
		name      string
		reply     graphReply
		permanent bool
		text      string
	}{
		{"HTTP 429", graphReply{429, `{}`}, false, "Too Many Requests"},
		{"application rate limit (4)", graphErr(400, 4, 0, "(#4) Application request limit reached"), false, "Application request limit"},
		{"page rate limit (32)", graphErr(403, 32, 0, "Page request limit reached"), false, "Page request limit"},
		{"send rate limit (613)", graphErr(400, 613, 0, "Calls to this api have exceeded the rate limit."), false, "exceeded the rate limit"},
		{"server error", graphReply{503, `upstream gone`}, false, "Service Unavailable"},
		{"outside the 24-hour window", graphErr(400, 10, 2018278, "(#10) This message is sent outside of allowed window."), true, "outside of allowed window"},
		{"person unavailable (551)", graphErr(400, 551, 1545041, "This person isn't available right now."), true, "isn't available"},
		{"bad parameter (100)", graphErr(400, 100, 2018001, "(#100) No matching user found"), true, "No matching user"},
		{"refused token (190)", graphErr(400, 190, 460, "Error validating access token: The session has been invalidated"), true, "session has been invalidated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			g.fail(tt.reply)
			_, err := Messenger(Config{}).Send(context.Background(), outbound(channelOn(g, KindMessenger),
				domain.Identity{Kind: domain.IdentityMessenger, Value: psid}, &domain.Message{ID: 43, Text: "Hallo"}, nil))
			if err == nil || channel.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "message 43") {
				t.Errorf("err %v (permanent %v), want permanent %v with %q", err, channel.IsPermanent(err), tt.permanent, tt.text)
			}
		})
	}
}

func TestSend_ToAnotherKindOfAddressIsPermanent(t *testing.T) {
	g := newFakeGraph(t)
	_, err := Instagram(Config{}).Send(context.Background(), outbound(channelOn(g, KindInstagram),
		domain.Identity{Kind: domain.IdentityMessenger, Value: psid}, &domain.Message{ID: 44, Text: "Hallo"}, nil))
	if !channel.IsPermanent(err) || len(g.Sends()) != 0 {
		t.Errorf("err %v, want permanent and nothing sent", err)
	}
}

func TestCheck_ReadsThePageWithTheToken(t *testing.T) {
	g := newFakeGraph(t)
	ch := channelOn(g, KindInstagram)
	checks := Instagram(Config{}).Check(context.Background(), ch)
	if len(checks) != 2 || !checks[0].OK || !strings.Contains(checks[0].Detail, "Loket Shop") || !checks[1].OK || !strings.Contains(checks[1].Detail, "loketshop") {
		t.Errorf("checks %+v, want the page and the account", checks)
	}
	ch.Secrets[SecretPageAccessToken] = "wrong"
	checks = Messenger(Config{}).Check(context.Background(), ch)
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Detail, "refused the page_access_token") {
		t.Errorf("checks %+v, want the token refused", checks)
	}
}

func TestValidate(t *testing.T) {
	secrets := map[string]string{SecretPageAccessToken: pageToken, SecretAppSecret: appSecret, SecretVerifyToken: verify}
	without := func(name string) map[string]string {
		s := map[string]string{}
		for k, v := range secrets {
			if k != name {
				s[k] = v
			}
		}
		return s
	}
	tests := []struct {
		name     string
		a        *Adapter
		settings string
		secrets  map[string]string
		code     string
	}{
		{"messenger", Messenger(Config{}), `{"page_id":"104523987654321"}`, secrets, ""},
		{"instagram", Instagram(Config{}), `{"page_id":"104523987654321","instagram_account_id":"17841400000000001","api_version":"v23.0"}`, secrets, ""},
		{"no page", Messenger(Config{}), `{}`, secrets, "invalid_page_id"},
		{"a page name", Messenger(Config{}), `{"page_id":"loketshop"}`, secrets, "invalid_page_id"},
		{"instagram without its account", Instagram(Config{}), `{"page_id":"1"}`, secrets, "invalid_instagram_account_id"},
		{"messenger with an instagram account", Messenger(Config{}), `{"page_id":"1","instagram_account_id":"2"}`, secrets, "invalid_settings"},
		{"a typo", Messenger(Config{}), `{"page_id":"1","pageid":"1"}`, secrets, "invalid_settings"},
		{"a base URL that is no URL", Messenger(Config{}), `{"page_id":"1","api_base_url":"graph.facebook.com"}`, secrets, "invalid_api_base_url"},
		{"a version without v", Messenger(Config{}), `{"page_id":"1","api_version":"25.0"}`, secrets, "invalid_api_version"},
		{"no token", Messenger(Config{}), `{"page_id":"1"}`, without(SecretPageAccessToken), "missing_page_access_token"},
		{"no app secret", Messenger(Config{}), `{"page_id":"1"}`, without(SecretAppSecret), "missing_app_secret"},
		{"no verify token", Messenger(Config{}), `{"page_id":"1"}`, without(SecretVerifyToken), "missing_verify_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate(json.RawMessage(tt.settings), tt.secrets)
			var de *domain.Error
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("err %v, want none", err)
			case tt.code != "" && (!errors.As(err, &de) || de.Code != tt.code):
				t.Errorf("err %v, want %s", err, tt.code)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	m, ig := Messenger(Config{}).Capabilities(), Instagram(Config{}).Capabilities()
	if !m.Buttons || m.Templates || m.SendWindowSeconds != 86400 || !m.ReadReceipts || m.Typing || m.MaxLength != 2000 || !m.Attachments ||
		len(m.Identities) != 2 || m.Identities[0] != domain.IdentityMessenger {
		t.Errorf("messenger %+v", m)
	}
	if ig.MaxLength != 1000 || ig.SendWindowSeconds != 86400 || len(ig.Identities) != 1 || ig.Identities[0] != domain.IdentityInstagram {
		t.Errorf("instagram %+v", ig)
	}
}
