package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func outbound(f *fakeBot, text string, meta string, atts ...domain.Attachment) *channel.Outbound {
	files := map[string][]byte{}
	for _, a := range atts {
		files[a.Filename] = []byte("bytes of " + a.Filename)
	}
	return &channel.Outbound{
		Channel: f.channel(1),
		Message: &domain.Message{ID: 7, Text: text, Meta: json.RawMessage(meta), Attachments: atts},
		To:      &domain.Identity{Kind: domain.IdentityTelegram, Value: "55501234"},
		Attachment: func(_ context.Context, a domain.Attachment) ([]byte, error) {
			return files[a.Filename], nil
		},
	}
}

func TestSend_QuickRepliesBecomeAnInlineKeyboard(t *testing.T) {
	f := newFakeBot(t)
	a := New(Config{})
	sent, err := a.Send(context.Background(), outbound(f, "Waarmee kan ik helpen?",
		`{"quick_replies":[{"id":"article:7","label":"Retourneren"},{"id":"person","label":"Een medewerker"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	calls := f.callsOf("sendMessage")
	if len(calls) != 1 {
		t.Fatalf("%d sendMessage calls, want 1", len(calls))
	}
	got, _ := json.Marshal(calls[0].Params)
	want := `{"chat_id":"55501234","reply_markup":{"inline_keyboard":[[{"callback_data":"article:7","text":"Retourneren"}],[{"callback_data":"person","text":"Een medewerker"}]]},"text":"Waarmee kan ik helpen?"}`
	if string(got) != want {
		t.Errorf("sendMessage %s\nwant %s", got, want)
	}
	if sent.ExternalID != "msg:55501234:101" {
		t.Errorf("external id %q, want msg:55501234:101", sent.ExternalID)
	}
}

func TestSend_LongQuickReplyIDsGetDigestsWithinTheLimit(t *testing.T) {
	long := strings.Repeat("ü", 40) // 80 bytes
	kb := inlineKeyboard([]channel.QuickReply{{ID: long, Label: "Lang"}, {ID: long + "x", Label: "Langer"}, {ID: "#1", Label: "Hash"}})
	seen := map[string]bool{}
	for _, row := range kb.InlineKeyboard {
		d := row[0].CallbackData
		if len(d) > maxCallbackData || !hashed(d) || seen[d] {
			t.Errorf("callback data %q: want a distinct digest of at most %d bytes", d, maxCallbackData)
		}
		seen[d] = true
	}
}

func TestSend_LongTextIsSplitWithinTheLimit(t *testing.T) {
	f := newFakeBot(t)
	text := strings.Repeat("Dit is een zin van een lang antwoord. ", 200) + strings.Repeat("😀", 3000)
	if _, err := New(Config{}).Send(context.Background(), outbound(f, text, `{"quick_replies":[{"id":"yes","label":"Ja"}]}`)); err != nil {
		t.Fatal(err)
	}
	calls := f.callsOf("sendMessage")
	if len(calls) < 3 {
		t.Fatalf("%d parts, want at least 3", len(calls))
	}
	var joined []string
	for i, c := range calls {
		part := c.Params["text"].(string)
		if n := utf16Len(part); n > maxText || !utf8.ValidString(part) {
			t.Errorf("part %d has %d UTF-16 units (valid UTF-8 %v)", i, n, utf8.ValidString(part))
		}
		if _, has := c.Params["reply_markup"]; has != (i == len(calls)-1) {
			t.Errorf("part %d: keyboard %v, want it on the last part only", i, has)
		}
		joined = append(joined, part)
	}
	if strings.ReplaceAll(strings.Join(joined, ""), " ", "") != strings.ReplaceAll(text, " ", "") {
		t.Error("the parts do not add up to the text")
	}
}

func TestSend_AttachmentsGoAsPhotoAndDocumentWithTheCaption(t *testing.T) {
	f := newFakeBot(t)
	sent, err := New(Config{}).Send(context.Background(), outbound(f, "Hier is de foto en de factuur.", `{}`,
		domain.Attachment{Filename: "doos.jpg", ContentType: "image/jpeg"}, domain.Attachment{Filename: "factuur.pdf", ContentType: "application/pdf"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.callsOf("sendMessage")); n != 0 {
		t.Errorf("%d sendMessage calls, want the text as the caption", n)
	}
	photos, docs := f.callsOf("sendPhoto"), f.callsOf("sendDocument")
	if len(photos) != 1 || photos[0].Field != "photo" || photos[0].FileName != "doos.jpg" || string(photos[0].File) != "bytes of doos.jpg" ||
		photos[0].Fields["caption"] != "Hier is de foto en de factuur." || photos[0].Fields["chat_id"] != "55501234" {
		t.Errorf("sendPhoto %+v", photos)
	}
	if len(docs) != 1 || docs[0].Field != "document" || docs[0].FileName != "factuur.pdf" || docs[0].Fields["caption"] != "" {
		t.Errorf("sendDocument %+v", docs)
	}
	if sent.ExternalID != "msg:55501234:101" {
		t.Errorf("external id %q, want the photo's", sent.ExternalID)
	}
}

func TestSend_Failures(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		detail    string
	}{
		{"flood control", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`, false, "retry after 3 s"},
		{"bot blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, true, "bot was blocked by the user"},
		{"bad chat", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, true, "chat not found"},
		{"provider trouble", 502, `<html>Bad Gateway</html>`, false, "502"},
		{"server error", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, false, "Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBot(t)
			f.fail("sendMessage", tt.status, tt.body)
			_, err := New(Config{}).Send(context.Background(), outbound(f, "Hallo", `{}`))
			if err == nil || channel.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("err %v (permanent %v), want permanent %v with %q", err, channel.IsPermanent(err), tt.permanent, tt.detail)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("err %v shows the bot token", err)
			}
		})
	}
}

func TestSend_FloodControlThenSuccess(t *testing.T) {
	f := newFakeBot(t)
	f.fail("sendMessage", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
	a := New(Config{})
	out := outbound(f, "Hallo", `{}`)
	if _, err := a.Send(context.Background(), out); err == nil || channel.IsPermanent(err) {
		t.Fatalf("first try: %v, want a retryable error", err)
	}
	sent, err := a.Send(context.Background(), out)
	if err != nil || sent.ExternalID != "msg:55501234:101" {
		t.Errorf("retry: %+v, %v, want it sent", sent, err)
	}
}

func TestSend_WithoutATelegramAddressIsPermanent(t *testing.T) {
	f := newFakeBot(t)
	out := outbound(f, "Hallo", `{}`)
	out.To = &domain.Identity{Kind: domain.IdentityEmail, Value: "a@example.com"}
	if _, err := New(Config{}).Send(context.Background(), out); !channel.IsPermanent(err) {
		t.Errorf("err %v, want permanent", err)
	}
}

func TestSend_UnreachableAPIIsRetriedWithoutTheToken(t *testing.T) {
	f := newFakeBot(t)
	out := outbound(f, "Hallo", `{}`)
	f.srv.Close()
	_, err := New(Config{}).Send(context.Background(), out)
	if err == nil || channel.IsPermanent(err) || strings.Contains(err.Error(), testToken) {
		t.Errorf("err %v, want a retryable error without the token", err)
	}
	var ae *apiError
	if errors.As(err, &ae) {
		t.Errorf("err %v is an API answer", err)
	}
}
