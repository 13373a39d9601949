package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// loket runs a whole Loket with the telegram adapter at base (Loket's
// public URL; "" polls) and one telegram channel on the fake Bot API.
func loket(t testing.TB, st *store.Store, f *fakeBot, base string) (*channeltest.Env, int64) {
	e := channeltest.Start(t, st, channeltest.Options{}, func(d *desk.Desk) []channel.Adapter {
		return []channel.Adapter{New(Config{
			BaseURL: base,
			Ingest: func(ctx context.Context, ch *domain.Channel, contentType string, body []byte) error {
				_, err := d.Ingest(ctx, ch, contentType, body)
				return err
			},
			Report: d.ReportProvider, Channels: st, Locks: st.Locker(), Log: quiet,
			PollTimeout: time.Second, Backoff: 10 * time.Millisecond,
		})}
	})
	ch := e.CreateChannel(Kind, f.settings())
	return e, ch.ID
}

// post delivers an update to the channel's webhook as Telegram does.
func post(e *channeltest.Env, id int64, secret string, body []byte) (int, []byte) {
	h := http.Header{}
	if secret != "" {
		h.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	return e.Post(Kind, id, "webhook", "application/json", body, h)
}

const publicURL = "https://support.example.com"

func TestWebhook_RefusesAWrongOrMissingSecretToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL)
		for _, secret := range []string{"", "forged-token", "s3cr3t-tokeN"} {
			status, body := post(e, id, secret, fixture(t, "text.json"))
			if status != http.StatusUnauthorized || !bytes.Contains(body, []byte(`"invalid_secret"`)) {
				t.Errorf("secret %q: status %d %s, want 401 invalid_secret", secret, status, body)
			}
		}
		if n := len(e.Tickets()); n != 0 {
			t.Fatalf("%d tickets after forged updates, want none", n)
		}
		if status, body := post(e, id, "s3cr3t-token", fixture(t, "text.json")); status != http.StatusOK {
			t.Fatalf("status %d %s, want 200", status, body)
		}
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		msgs := e.Messages(tickets[0].ID)
		if len(msgs) != 1 || msgs[0].Text != "Hallo, waar blijft mijn bestelling 10234?" || msgs[0].Address.String() != "telegram:55501234" {
			t.Errorf("messages %+v, want Anouk's", msgs)
		}
		c := e.Contact(tickets[0].ContactID)
		if c.Name != "Anouk de Vries" || c.Language != "nl" {
			t.Errorf("contact %q (%q), want Anouk de Vries (nl)", c.Name, c.Language)
		}
	})
}

func TestWebhook_SecretDerivedFromTheBotToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e := channeltest.Start(t, st, channeltest.Options{}, func(d *desk.Desk) []channel.Adapter {
			return []channel.Adapter{New(Config{BaseURL: publicURL, Channels: st, Log: quiet})}
		})
		ch := e.CreateChannel(Kind, fmt.Sprintf(`{"api_base_url":%q,"bot_token":%q}`, f.srv.URL, testToken))
		e.Wait("the webhook to be registered", func() bool { return len(f.callsOf("setWebhook")) == 1 })
		secret, _ := f.callsOf("setWebhook")[0].Params["secret_token"].(string)
		if secret == "" {
			t.Fatal("setWebhook without a secret token")
		}
		if status, _ := post(e, ch.ID, secret, fixture(t, "text.json")); status != http.StatusOK {
			t.Errorf("status %d with the derived secret, want 200", status)
		}
	})
}

func TestWebhook_DuplicateUpdateIsStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL)
		for range 2 {
			if status, body := post(e, id, "s3cr3t-token", fixture(t, "text.json")); status != http.StatusOK {
				t.Fatalf("status %d %s, want 200", status, body)
			}
		}
		tickets := e.Tickets()
		if len(tickets) != 1 || len(e.Messages(tickets[0].ID)) != 1 {
			t.Errorf("tickets %+v, want one with one message", tickets)
		}
	})
}

func TestWebhook_PhotoIsDownloadedThroughGetFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		jpeg := []byte("\xff\xd8\xff\xe0 a photo of a damaged box")
		f.files["AgACAgQAAxkBAAMrZ1large"] = jpeg
		e, id := loket(t, st, f, publicURL)
		if status, body := post(e, id, "s3cr3t-token", fixture(t, "photo.json")); status != http.StatusOK {
			t.Fatalf("status %d %s, want 200", status, body)
		}
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		msgs := e.Messages(tickets[0].ID)
		if len(msgs) != 1 || msgs[0].Text != "De doos was beschadigd" || len(msgs[0].Attachments) != 1 ||
			msgs[0].Attachments[0].Size != int64(len(jpeg)) || msgs[0].Attachments[0].Filename != "photo.jpg" {
			t.Errorf("messages %+v, want the caption with the largest photo", msgs)
		}
		if calls := f.callsOf("getFile"); len(calls) != 1 || calls[0].Params["file_id"] != "AgACAgQAAxkBAAMrZ1large" {
			t.Errorf("getFile %+v, want the largest size fetched once", calls)
		}
		// Telegram delivering the update again costs no second download.
		post(e, id, "s3cr3t-token", fixture(t, "photo.json"))
		if n := len(f.callsOf("getFile")); n != 1 {
			t.Errorf("%d getFile calls, want 1", n)
		}
	})
}

func TestWebhook_ButtonTapReachesTheBotAsAQuickReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL)
		status, body := post(e, id, "s3cr3t-token", fixture(t, "callback.json"))
		if status != http.StatusOK {
			t.Fatalf("status %d %s, want 200", status, body)
		}
		var call map[string]string
		if json.Unmarshal(body, &call) != nil || call["method"] != "answerCallbackQuery" || call["callback_query_id"] != "4382bfdwdsb323b2d9" {
			t.Errorf("webhook answer %s, want answerCallbackQuery", body)
		}
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		msgs := e.Messages(tickets[0].ID)
		if len(msgs) != 1 || msgs[0].Text != "Retourneren" || !bytes.Contains(msgs[0].Meta, []byte(`"quick_reply":"article:7"`)) {
			t.Errorf("messages %+v, want the label with the quick reply in meta", msgs)
		}
		created := e.Events.Of(domain.EventMessageCreated)
		if len(created) == 0 || created[0].Message == nil || !bytes.Contains(created[0].Message.Meta, []byte(`"quick_reply":"article:7"`)) {
			t.Errorf("message.created events %+v, want the bot to hear the quick reply", created)
		}
	})
}

func TestWebhook_EditAndReactionChangeEarlierMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL)
		post(e, id, "s3cr3t-token", fixture(t, "text.json"))
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		// The agent's reply is delivered as message 101 of the chat, which
		// the customer then reacts to.
		reply := e.Reply(tickets[0].ID, `{"text":"Hij komt morgen."}`, 201)
		e.Wait("the reply to be sent", func() bool { return e.Message(reply.ID).ExternalID != "" })
		if got := e.Message(reply.ID).ExternalID; got != "msg:55501234:101" {
			t.Errorf("reply external id %q, want msg:55501234:101", got)
		}
		if calls := f.callsOf("sendMessage"); len(calls) != 1 || calls[0].Params["chat_id"] != "55501234" || calls[0].Params["text"] != "Hij komt morgen." {
			t.Errorf("sendMessage %+v", calls)
		}
		for _, name := range []string{"edited.json", "reaction.json"} {
			if status, body := post(e, id, "s3cr3t-token", fixture(t, name)); status != http.StatusOK {
				t.Fatalf("%s: status %d %s", name, status, body)
			}
		}
		first, err := st.MessageByExternalID(context.Background(), id, "msg:55501234:42")
		if err != nil || first.Text != "Hallo, waar blijft mijn bestelling 10234?" || !bytes.Contains(first.Meta, []byte(`"edited":{"text":"Hallo, waar blijft mijn bestelling 10235?"`)) {
			t.Errorf("customer message %q meta %s (%v), want the edit beside the first text", first.Text, first.Meta, err)
		}
		if got := e.Message(reply.ID); !bytes.Contains(got.Meta, []byte(`"reactions":{"telegram:55501234":"❤"}`)) {
			t.Errorf("reply meta %s, want the customer's reaction", got.Meta)
		}
	})
}

func TestDelivery_BlockedBotFailsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL)
		post(e, id, "s3cr3t-token", fixture(t, "text.json"))
		f.fail("sendMessage", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`)
		reply := e.Reply(e.Tickets()[0].ID, `{"text":"Hij komt morgen."}`, 201)
		e.Wait("the reply to fail", func() bool { return e.Message(reply.ID).DeliveryStatus == domain.DeliveryFailed })
		if got := e.Message(reply.ID).DeliveryError; !strings.Contains(got, "bot was blocked by the user") {
			t.Errorf("delivery error %q, want Telegram's reason", got)
		}
		if n := len(f.callsOf("sendMessage")); n != 1 {
			t.Errorf("%d sendMessage calls, want no retry", n)
		}
	})
}

func TestRun_RegistersTheWebhookWhenAChannelIsCreated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		e, id := loket(t, st, f, publicURL+"/")
		e.Wait("setWebhook", func() bool { return len(f.callsOf("setWebhook")) == 1 })
		if got := f.callsOf("setWebhook")[0].Params["url"]; got != fmt.Sprintf("%s/api/v1/telegram/%d/webhook", publicURL, id) {
			t.Errorf("webhook url %v", got)
		}
		// Saving the channel with a new secret registers it again.
		e.Do("PATCH", fmt.Sprintf("/api/v1/channels/%d", id), `{"settings":`+strings.Replace(f.settings(), "s3cr3t-token", "another-secret", 1)+`}`, 200, nil)
		e.Wait("setWebhook with the new secret", func() bool {
			calls := f.callsOf("setWebhook")
			return len(calls) == 2 && calls[1].Params["secret_token"] == "another-secret"
		})
	})
}

func TestPolling_UpdatesBecomeATicket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFakeBot(t)
		f.files["AgACAgQAAxkBAAMrZ1large"] = []byte("\xff\xd8\xff photo")
		f.queue(string(fixture(t, "text.json")), string(fixture(t, "photo.json")), string(fixture(t, "group.json")))
		e, _ := loket(t, st, f, "http://localhost:8080")
		e.Wait("the updates to be confirmed", func() bool { return slices.Contains(f.getUpdatesOffsets(), 734190013) })
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("%d tickets, want 1", len(tickets))
		}
		if msgs := e.Messages(tickets[0].ID); len(msgs) != 2 || len(msgs[1].Attachments) != 1 {
			t.Errorf("messages %+v, want the text and the photo", msgs)
		}
		if len(f.callsOf("setWebhook")) != 0 || len(f.callsOf("deleteWebhook")) != 1 {
			t.Error("want the webhook deleted once and never set while polling")
		}
	})
}
