package telegram

import (
	"context"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
)

func TestFetch_DownloadsThroughGetFile(t *testing.T) {
	f := newFakeBot(t)
	f.files["AgACAgQAAxkBAAMrZ1large"] = []byte("\xff\xd8\xff jpeg bytes")
	in := &channel.Inbound{Text: "De doos", Attachments: []channel.Attachment{{Ref: "AgACAgQAAxkBAAMrZ1large", Filename: "photo.jpg", ContentType: "image/jpeg"}}}
	if err := New(Config{}).Fetch(context.Background(), f.channel(1), in); err != nil {
		t.Fatal(err)
	}
	if len(in.Attachments) != 1 || string(in.Attachments[0].Data) != "\xff\xd8\xff jpeg bytes" || in.Text != "De doos" {
		t.Errorf("message %+v, want the photo's bytes", in)
	}
	if calls := f.callsOf("getFile"); len(calls) != 1 || calls[0].Params["file_id"] != "AgACAgQAAxkBAAMrZ1large" {
		t.Errorf("getFile calls %+v", calls)
	}
}

func TestFetch_FileOverTwentyMegabytesLeavesANote(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(f *fakeBot)
	}{
		{"size given by getFile", func(f *fakeBot) { f.files["big"] = []byte("x"); f.sizes["big"] = 21 << 20 }},
		{"refused by getFile", func(f *fakeBot) {
			f.fail("getFile", 400, `{"ok":false,"error_code":400,"description":"Bad Request: file is too big"}`)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeBot(t)
			tt.setup(f)
			in := &channel.Inbound{Attachments: []channel.Attachment{{Ref: "big", Filename: "video.mp4"}}}
			if err := New(Config{}).Fetch(context.Background(), f.channel(1), in); err != nil {
				t.Fatal(err)
			}
			if len(in.Attachments) != 0 || !strings.Contains(in.Text, "video.mp4 was not received") {
				t.Errorf("message %+v, want a note instead of the file", in)
			}
		})
	}
}

func TestFetch_FailureIsAnError(t *testing.T) {
	f := newFakeBot(t)
	in := &channel.Inbound{Attachments: []channel.Attachment{{Ref: "gone", Filename: "photo.jpg"}}}
	if err := New(Config{}).Fetch(context.Background(), f.channel(1), in); err == nil {
		t.Error("no error for a file the Bot API does not know")
	}
}

func TestCheck_SignsInAndReportsTheWebhook(t *testing.T) {
	f := newFakeBot(t)
	checks := New(Config{}).Check(context.Background(), f.channel(1))
	if len(checks) != 2 || !checks[0].OK || !strings.Contains(checks[0].Detail, "@loket_test_bot") || !checks[1].OK || !strings.Contains(checks[1].Detail, "polls") {
		t.Errorf("checks %+v, want the bot signed in and polling", checks)
	}

	f.fail("getWebhookInfo", 200, `{"ok":true,"result":{"url":"https://elsewhere.example/hook","pending_update_count":3,"last_error_date":1733580000,"last_error_message":"Connection refused"}}`)
	checks = New(Config{BaseURL: "https://support.example.com"}).Check(context.Background(), f.channel(1))
	if len(checks) != 2 || checks[1].OK || !strings.Contains(checks[1].Detail, "elsewhere.example") {
		t.Errorf("checks %+v, want the foreign webhook reported", checks)
	}

	f.fail("getWebhookInfo", 200, `{"ok":true,"result":{"url":"https://support.example.com/api/v1/telegram/1/webhook","pending_update_count":3,"last_error_date":1733580000,"last_error_message":"Wrong response from the webhook: 502 Bad Gateway"}}`)
	checks = New(Config{BaseURL: "https://support.example.com"}).Check(context.Background(), f.channel(1))
	if len(checks) != 2 || checks[1].OK || !strings.Contains(checks[1].Detail, "502 Bad Gateway") {
		t.Errorf("checks %+v, want the last delivery error", checks)
	}

	ch := f.channel(1)
	ch.Secrets["bot_token"] = "1:wrong"
	checks = New(Config{}).Check(context.Background(), ch)
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Detail, "Unauthorized") {
		t.Errorf("checks %+v, want the token refused", checks)
	}
}
