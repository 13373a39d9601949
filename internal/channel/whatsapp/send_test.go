package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/whatsapp"
	"loket.dev/loket/internal/domain"
)

// graphChannel is a channel on the fake Graph API, as the store hands it
// to the adapter: public settings, secrets apart.
func graphChannel(g *fakeGraph) *domain.Channel {
	ch := testChannel()
	ch.Settings = json.RawMessage(`{"phone_number_id":"` + phoneNumberID + `","waba_id":"` + wabaID + `","api_base_url":"` + g.srv.URL + `"}`)
	return ch
}

// outbound is a reply to the test customer.
func outbound(g *fakeGraph, m *domain.Message, files map[string][]byte) *channel.Outbound {
	return &channel.Outbound{
		Channel: graphChannel(g), Message: m,
		Contact: &domain.Contact{ID: 1, Name: "Sheena", Language: "nl"},
		To:      &domain.Identity{Kind: domain.IdentityPhone, Value: "+31612345678"},
		Attachment: func(_ context.Context, a domain.Attachment) ([]byte, error) {
			return files[a.Filename], nil
		},
		IdempotencyKey: "k",
	}
}

func TestSend_WireFormat(t *testing.T) {
	replies := func(n int) string {
		var qs []string
		for i := range n {
			qs = append(qs, `{"id":"q`+string(rune('0'+i))+`","label":"Option number `+string(rune('0'+i))+` with a long label"}`)
		}
		return `{"quick_replies":[` + strings.Join(qs, ",") + `]}`
	}
	tests := []struct {
		name string
		msg  domain.Message
		want []string // JSON of each message posted, without messaging_product, recipient_type and to
	}{
		{"text", domain.Message{ID: 1, Text: "Hij komt morgen."},
			[]string{`{"text":{"body":"Hij komt morgen."},"type":"text"}`}},
		{"template", domain.Message{ID: 2, Text: "Je bestelling 42 is onderweg.", Meta: json.RawMessage(`{"template":{"name":"order_update","language":"nl","params":["42"]}}`)},
			[]string{`{"template":{"components":[{"parameters":[{"text":"42","type":"text"}],"type":"body"}],"language":{"code":"nl"},"name":"order_update"},"type":"template"}`}},
		{"template without parameters", domain.Message{ID: 3, Text: "Hallo!", Meta: json.RawMessage(`{"template":{"name":"hello","language":"en_US"}}`)},
			[]string{`{"template":{"language":{"code":"en_US"},"name":"hello"},"type":"template"}`}},
		{"buttons", domain.Message{ID: 4, Text: "Waarmee kan ik helpen?", Meta: json.RawMessage(replies(3))},
			[]string{`{"interactive":{"action":{"buttons":[` +
				`{"reply":{"id":"q0","title":"Option number 0 wit…"},"type":"reply"},` +
				`{"reply":{"id":"q1","title":"Option number 1 wit…"},"type":"reply"},` +
				`{"reply":{"id":"q2","title":"Option number 2 wit…"},"type":"reply"}]},` +
				`"body":{"text":"Waarmee kan ik helpen?"},"type":"button"},"type":"interactive"}`}},
		{"list", domain.Message{ID: 5, Text: "Kies een onderwerp", Meta: json.RawMessage(replies(4))},
			[]string{`{"interactive":{"action":{"button":"Kies","sections":[{"rows":[` +
				`{"description":"Option number 0 with a long label","id":"q0","title":"Option number 0 with a …"},` +
				`{"description":"Option number 1 with a long label","id":"q1","title":"Option number 1 with a …"},` +
				`{"description":"Option number 2 with a long label","id":"q2","title":"Option number 2 with a …"},` +
				`{"description":"Option number 3 with a long label","id":"q3","title":"Option number 3 with a …"}]}]},` +
				`"body":{"text":"Kies een onderwerp"},"type":"list"},"type":"interactive"}`}},
		{"attachments", domain.Message{ID: 6, Text: "Hier is de foto en de factuur.", Attachments: []domain.Attachment{
			{Filename: "label.png", ContentType: "image/png"}, {Filename: "factuur.pdf", ContentType: "application/pdf"}}},
			[]string{`{"image":{"caption":"Hier is de foto en de factuur.","id":"media-up-1"},"type":"image"}`,
				`{"document":{"filename":"factuur.pdf","id":"media-up-2"},"type":"document"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			a := whatsapp.New(whatsapp.Config{})
			files := map[string][]byte{"label.png": []byte("\x89PNG fake"), "factuur.pdf": []byte("%PDF-1.7 fake")}
			sent, err := a.Send(context.Background(), outbound(g, &tt.msg, files))
			if err != nil {
				t.Fatal(err)
			}
			got := g.sentMessages()
			if len(got) != len(tt.want) {
				t.Fatalf("posted %d messages, want %d: %v", len(got), len(tt.want), got)
			}
			for i, m := range got {
				if m["messaging_product"] != "whatsapp" || m["to"] != "31612345678" || m["recipient_type"] != "individual" {
					t.Errorf("message %d is addressed %v %v %v", i, m["messaging_product"], m["to"], m["recipient_type"])
				}
				delete(m, "messaging_product")
				delete(m, "to")
				delete(m, "recipient_type")
				if b, _ := json.Marshal(m); string(b) != tt.want[i] {
					t.Errorf("message %d:\n got %s\nwant %s", i, b, tt.want[i])
				}
			}
			if want := "wamid.OUT-" + string(rune('0'+len(tt.want))); sent.ExternalID != want {
				t.Errorf("external id %q, want the last message's %q", sent.ExternalID, want)
			}
			if len(tt.msg.Attachments) > 0 {
				if len(g.uploads) != 2 || g.uploads[0].Product != "whatsapp" || g.uploads[0].Type != "image/png" ||
					g.uploads[0].Filename != "label.png" || string(g.uploads[0].Data) != "\x89PNG fake" || string(g.uploads[1].Data) != "%PDF-1.7 fake" {
					t.Errorf("uploads %+v, want both files with messaging_product and type", g.uploads)
				}
			}
		})
	}
}

func TestSend_FailuresArePermanentOrRetried(t *testing.T) {
	tests := []struct {
		name      string
		answer    answer
		permanent bool
		text      string
		wait      time.Duration // the wait passed on to the outbox
	}{
		{"window closed", answer{400, `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}}`, ""},
			true, "(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number. (code 131047)", 0},
		{"undeliverable", answer{400, `{"error":{"message":"(#131026) Message undeliverable","code":131026}}`, ""}, true, "Message undeliverable (code 131026)", 0},
		{"invalid parameter", answer{400, `{"error":{"message":"(#100) Invalid parameter","code":100}}`, ""}, true, "Invalid parameter (code 100)", 0},
		{"token", answer{401, `{"error":{"message":"Error validating access token: Session has expired","code":190,"error_subcode":463}}`, ""}, true, "Session has expired (code 190)", 0},
		{"too many requests", answer{429, `{"error":{"message":"(#130429) Rate limit hit","code":130429}}`, ""}, false, "Rate limit hit", 0},
		{"retry after", answer{429, `{"error":{"message":"(#130429) Rate limit hit","code":130429}}`, "30"}, false, "Rate limit hit", 30 * time.Second},
		{"throughput", answer{400, `{"error":{"message":"(#80007) Rate limit issues","code":80007}}`, ""}, false, "code 80007", 0},
		{"application limit", answer{400, `{"error":{"message":"(#4) Application request limit reached","code":4}}`, ""}, false, "code 4", 0},
		{"server", answer{503, `Service Unavailable`, ""}, false, "503", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			g.failNext(tt.answer)
			a := whatsapp.New(whatsapp.Config{})
			out := outbound(g, &domain.Message{ID: 9, Text: "Hallo"}, nil)
			_, err := a.Send(context.Background(), out)
			if err == nil || channel.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "send whatsapp message 9") {
				t.Fatalf("error %v (permanent %v), want permanent %v with %q", err, channel.IsPermanent(err), tt.permanent, tt.text)
			}
			if got := channel.RetryWait(err); got != tt.wait {
				t.Errorf("wait %v, want %v", got, tt.wait)
			}
			if tt.permanent {
				return
			}
			// A retry succeeds once the provider recovers.
			sent, err := a.Send(context.Background(), out)
			if err != nil || sent.ExternalID != "wamid.OUT-1" {
				t.Fatalf("retry: %+v %v, want it sent", sent, err)
			}
		})
	}
}

func TestSend_RefusesWhatCannotBeSent(t *testing.T) {
	g := newFakeGraph(t)
	a := whatsapp.New(whatsapp.Config{})
	out := outbound(g, &domain.Message{ID: 3, Text: "Hallo"}, nil)
	out.To = &domain.Identity{Kind: domain.IdentityEmail, Value: "a@example.com"}
	if _, err := a.Send(context.Background(), out); !channel.IsPermanent(err) {
		t.Errorf("to an e-mail address: %v, want a permanent error", err)
	}
	out = outbound(g, &domain.Message{ID: 4, Text: " "}, nil)
	if _, err := a.Send(context.Background(), out); !channel.IsPermanent(err) {
		t.Errorf("empty: %v, want a permanent error", err)
	}
	if n := len(g.sentMessages()); n != 0 {
		t.Errorf("posted %d messages, want none", n)
	}
}

func TestTemplates_FollowsPagesKeepsApprovedAndCaches(t *testing.T) {
	g := newFakeGraph(t)
	body := func(text string) []any {
		return []any{map[string]any{"type": "HEADER", "format": "TEXT", "text": "Loket"}, map[string]any{"type": "BODY", "text": text}}
	}
	g.templates = [][]map[string]any{
		{{"name": "order_update", "language": "nl", "status": "APPROVED", "category": "UTILITY", "components": body("Je bestelling {{1}} komt {{2}}.")},
			{"name": "promo", "language": "nl", "status": "REJECTED", "category": "MARKETING", "components": body("Korting!")}},
		{{"name": "hello", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "components": body("Hello, how can we help?")},
			{"name": "pending", "language": "en_US", "status": "PENDING", "category": "UTILITY", "components": body("Soon")}},
	}
	now := time.Unix(1_750_000_000, 0)
	a := whatsapp.New(whatsapp.Config{Now: func() time.Time { return now }})
	want := `[{"name":"order_update","language":"nl","body":"Je bestelling {{1}} komt {{2}}.","params":2,"category":"UTILITY","status":"APPROVED"},` +
		`{"name":"hello","language":"en_US","body":"Hello, how can we help?","params":0,"category":"UTILITY","status":"APPROVED"}]`
	for i, wantCalls := range []int{2, 2, 4} {
		if i == 2 {
			now = now.Add(whatsapp.TemplateTTL)
		}
		list, err := a.Templates(context.Background(), graphChannel(g))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(list); string(got) != want {
			t.Errorf("templates %s, want %s", got, want)
		}
		if got := g.callCount("GET /v21.0/{waba}/message_templates"); got != wantCalls {
			t.Errorf("listing %d: %d page requests, want %d", i, got, wantCalls)
		}
	}
}

func TestCheck_ReadsTheNumberAndTheTemplates(t *testing.T) {
	g := newFakeGraph(t)
	a := whatsapp.New(whatsapp.Config{})
	checks := a.Check(context.Background(), graphChannel(g))
	if len(checks) != 2 || !checks[0].OK || checks[0].Detail != "+1 555-078-3881 (Loket Shop)" || !checks[1].OK || checks[1].Detail != "0 approved templates" {
		t.Errorf("checks %+v, want both to pass", checks)
	}
	ch := graphChannel(g)
	ch.Secrets["access_token"] = "wrong"
	checks = a.Check(context.Background(), ch)
	if len(checks) != 2 || checks[0].OK || !strings.Contains(checks[0].Detail, "Invalid OAuth access token") || checks[1].OK {
		t.Errorf("checks with a wrong token %+v, want both to fail with Meta's words", checks)
	}
}

func TestFetch_DownloadsMediaOrNotesWhatIsGone(t *testing.T) {
	g := newFakeGraph(t)
	g.media["1003383421387256"] = mediaFile{MimeType: "image/jpeg", Data: []byte("\xff\xd8 a jpeg")}
	a := whatsapp.New(whatsapp.Config{})
	ch := graphChannel(g)
	b, err := a.Parse(ch, "application/json", fixture(t, "image.json"), "NL")
	if err != nil {
		t.Fatal(err)
	}
	in := b.Messages[0]
	if err := a.Fetch(context.Background(), ch, in); err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 1 || string(in.Attachments[0].Data) != "\xff\xd8 a jpeg" || in.Text != "Black jacket" {
		t.Errorf("after fetch %+v, want the image", in)
	}

	// Media WhatsApp no longer has becomes a note; retrying cannot help.
	b, _ = a.Parse(ch, "application/json", fixture(t, "document.json"), "NL")
	in = b.Messages[0]
	if err := a.Fetch(context.Background(), ch, in); err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 0 || in.Text != "My invoice\n\n[invoice-2025-06.pdf: the file is no longer available at WhatsApp]" {
		t.Errorf("after fetch %q %+v, want a note instead of the file", in.Text, in.Attachments)
	}

	// A refused token is an error, so the payload is kept and fetched again.
	b, _ = a.Parse(ch, "application/json", fixture(t, "image.json"), "NL")
	ch.Secrets["access_token"] = "wrong"
	err = a.Fetch(context.Background(), ch, b.Messages[0])
	var ae *whatsapp.APIError
	if !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("with a wrong token: %v, want the Graph API's 401", err)
	}
}

func TestValidate(t *testing.T) {
	secrets := map[string]string{"access_token": "t", "app_secret": "s", "verify_token": "v"}
	tests := []struct {
		name     string
		settings string
		secrets  map[string]string
		code     string
	}{
		{"complete", `{"phone_number_id":"106540352242922","waba_id":"102290129340398"}`, secrets, ""},
		{"own API address", `{"phone_number_id":"1","waba_id":"2","api_base_url":"https://graph.example/","api_version":"v22.0"}`, secrets, ""},
		{"local API address", `{"phone_number_id":"1","waba_id":"2","api_base_url":"http://127.0.0.1:8080"}`, secrets, ""},
		{"unknown field", `{"phone_number_id":"1","waba_id":"2","phone":"x"}`, secrets, "invalid_settings"},
		{"phone number instead of id", `{"phone_number_id":"+31 6 12345678","waba_id":"2"}`, secrets, "invalid_phone_number_id"},
		{"no account", `{"phone_number_id":"1"}`, secrets, "invalid_waba_id"},
		{"path in id", `{"phone_number_id":"1","waba_id":"2/../3"}`, secrets, "invalid_waba_id"},
		{"version", `{"phone_number_id":"1","waba_id":"2","api_version":"21"}`, secrets, "invalid_api_version"},
		{"plain http", `{"phone_number_id":"1","waba_id":"2","api_base_url":"http://graph.example"}`, secrets, "invalid_api_base_url"},
		{"path in base", `{"phone_number_id":"1","waba_id":"2","api_base_url":"https://graph.example/v21.0"}`, secrets, "invalid_api_base_url"},
		{"no token", `{"phone_number_id":"1","waba_id":"2"}`, map[string]string{"app_secret": "s", "verify_token": "v"}, "missing_access_token"},
		{"no app secret", `{"phone_number_id":"1","waba_id":"2"}`, map[string]string{"access_token": "t", "verify_token": "v"}, "missing_app_secret"},
		{"no verify token", `{"phone_number_id":"1","waba_id":"2"}`, map[string]string{"access_token": "t", "app_secret": "s"}, "missing_verify_token"},
	}
	a := whatsapp.New(whatsapp.Config{})
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
