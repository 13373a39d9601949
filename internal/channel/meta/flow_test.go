package meta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"loket.dev/loket/internal/channel/metahook"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// env is a whole Loket with both kinds registered and a fake Graph API.
type env struct {
	*channeltest.Env
	g *fakeGraph
	// clock is the desk's time in Unix milliseconds.
	clock atomic.Int64
}

// start runs Loket with its clock an hour behind: a delivery retried
// after the outbox's backoff is then due at once.
func start(t *testing.T, st *store.Store) *env {
	e := &env{g: newFakeGraph(t)}
	e.clock.Store(time.Now().Add(-time.Hour).UnixMilli())
	e.Env = channeltest.Start(t, st, channeltest.Options{Now: e.clock.Load}, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{Messenger(Config{}), Instagram(Config{})}
	})
	return e
}

func sign(secret string, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return http.Header{metahook.SignatureHeader: {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
}

// hook posts a signed webhook and checks the answer.
func (e *env) hook(kind string, ch int64, body []byte, want int) {
	e.T.Helper()
	status, answer := e.Post(kind, ch, "webhook", "application/json", body, sign(appSecret, body))
	if status != want {
		e.T.Fatalf("webhook: status %d, want %d; body %s", status, want, answer)
	}
	if want == 200 && string(answer) != "EVENT_RECEIVED" {
		e.T.Fatalf("webhook answered %q", answer)
	}
}

func (e *env) fixture(name string, mid string) []byte {
	return fixture(e.T, name, "{{CDN}}", e.g.srv.URL+"/cdn", "{{MID}}", mid)
}

func (e *env) onlyTicket() channeltest.Ticket {
	e.T.Helper()
	tickets := e.Tickets()
	if len(tickets) != 1 {
		e.T.Fatalf("%d tickets, want one", len(tickets))
	}
	return tickets[0]
}

func TestWebhook_Handshake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		if !strings.HasSuffix(ch.WebhookURL, fmt.Sprintf("/api/v1/messenger/%d/webhook", ch.ID)) {
			t.Errorf("webhook_url %q, want the webhook route", ch.WebhookURL)
		}
		get := func(mode, token string) (int, string) {
			q := url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
			resp, err := http.Get(fmt.Sprintf("%s/api/v1/messenger/%d/webhook?%s", e.URL, ch.ID, q.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if status, body := get("subscribe", verify); status != 200 || body != "1158201444" {
			t.Errorf("handshake: %d %q, want the challenge", status, body)
		}
		for _, bad := range [][2]string{{"subscribe", "guess"}, {"subscribe", ""}, {"unsubscribe", verify}} {
			if status, body := get(bad[0], bad[1]); status != 403 || !strings.Contains(body, "invalid_verify_token") {
				t.Errorf("handshake %v: %d %s, want 403", bad, status, body)
			}
		}
		// Both kinds document their routes side by side.
		doc := string(e.Do("GET", "/api/v1/openapi.json", "", 200, nil))
		for _, op := range []string{`"messengerWebhookVerify"`, `"messengerWebhook"`, `"instagramWebhookVerify"`, `"instagramWebhook"`, `"/api/v1/instagram/{channel}/webhook"`} {
			if !strings.Contains(doc, op) {
				t.Errorf("openapi.json lacks %s", op)
			}
		}
	})
}

func TestWebhook_RefusesWrongOrMissingSignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		body := e.fixture("messenger_image.json", "")
		for name, h := range map[string]http.Header{
			"missing":            nil,
			"another app secret": sign("not-the-app-secret", body),
			"not hex":            {metahook.SignatureHeader: {"sha256=zz"}},
			"SHA-1":              {"X-Hub-Signature": {"sha1=" + strings.Repeat("0", 40)}},
			"for another body":   sign(appSecret, append(bytes.Clone(body), ' ')),
		} {
			status, answer := e.Post(KindMessenger, ch.ID, "webhook", "application/json", body, h)
			if status != 401 || !strings.Contains(string(answer), "invalid_signature") {
				t.Errorf("%s: %d %s, want 401 invalid_signature", name, status, answer)
			}
		}
		if n := len(e.Tickets()); n != 0 || e.g.Media() != 0 || e.g.Profiles(psid) != 0 {
			t.Errorf("%d tickets, %d downloads, %d lookups after refused webhooks, want nothing done", n, e.g.Media(), e.g.Profiles(psid))
		}
	})
}

// A Messenger conversation end to end: messages stored once with the
// sender's profile and media, echoes skipped, the reply sent, its
// delivery, a reaction and an edit applied.
func TestWebhook_MessengerConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		text := e.fixture("messenger_text.json", "")
		e.hook(KindMessenger, ch.ID, text, 200)
		e.hook(KindMessenger, ch.ID, text, 200) // Meta retrying
		tk := e.onlyTicket()
		if msgs := e.Messages(tk.ID); len(msgs) != 1 || msgs[0].ExternalID != firstMid || msgs[0].ProviderAt != 1765105199876 {
			t.Fatalf("messages %+v, want the one message once", msgs)
		}
		c := e.Contact(tk.ContactID)
		if c.Name != "Jan Jansen" || c.Language != "nl" || len(c.Identities) != 1 || c.Identities[0] != (domain.Identity{Kind: domain.IdentityMessenger, Value: psid}) {
			t.Errorf("contact %+v, want Jan Jansen in nl at his PSID", c)
		}

		e.hook(KindMessenger, ch.ID, e.fixture("messenger_image.json", ""), 200)
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_quick_reply.json", ""), 200)
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_echo.json", ""), 200)
		msgs := e.Messages(tk.ID)
		if len(msgs) != 3 {
			t.Fatalf("%d messages, want text, image and quick reply (no echo)", len(msgs))
		}
		if a := msgs[1].Attachments; len(a) != 1 || a[0].ContentType != "image/jpeg" || a[0].Filename != "4411_label_n.jpg" || a[0].Size != int64(len(jpeg)) {
			t.Errorf("image attachments %+v", a)
		}
		if string(msgs[2].Meta) != `{"quick_reply":"faq-42"}` {
			t.Errorf("quick reply meta %s", msgs[2].Meta)
		}
		if e.g.Profiles(psid) != 1 {
			t.Errorf("%d profile lookups, want one for the conversation", e.g.Profiles(psid))
		}

		reply := e.Reply(tk.ID, `{"text":"Hij is onderweg."}`, 201)
		e.Wait("the reply to be sent", func() bool { return e.Message(reply.ID).ExternalID == "m_sent-1" })
		if s := e.g.Sends(); len(s) != 1 || s[0].Recipient.ID != psid || string(s[0].Message) != `{"text":"Hij is onderweg."}` {
			t.Fatalf("sends %+v", s)
		}
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_delivery.json", "m_sent-1"), 200)
		if got := e.Message(reply.ID).DeliveryStatus; got != domain.DeliveryDelivered {
			t.Errorf("reply %s, want delivered", got)
		}
		// A read watermark from before the reply leaves it; one after it
		// marks it read.
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_read.json", ""), 200)
		if got := e.Message(reply.ID).DeliveryStatus; got != domain.DeliveryDelivered {
			t.Errorf("reply %s after an older read watermark, want delivered", got)
		}
		read := bytes.Replace(e.fixture("messenger_read.json", ""), []byte("1765105498000"), []byte(strconv.FormatInt(time.Now().UnixMilli(), 10)), 1)
		e.hook(KindMessenger, ch.ID, read, 200)
		if got := e.Message(reply.ID).DeliveryStatus; got != domain.DeliveryRead {
			t.Errorf("reply %s after a read watermark past it, want read", got)
		}

		e.hook(KindMessenger, ch.ID, e.fixture("messenger_reaction.json", ""), 200)
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_edit.json", ""), 200)
		first, err := st.MessageByExternalID(context.Background(), ch.ID, firstMid)
		if err != nil || !bytes.Contains(first.Meta, []byte(`"reactions":{"messenger:`+psid+`":"❤️"}`)) || !bytes.Contains(first.Meta, []byte(`"edited":{"text":"Hoi! Waar blijft mijn bestelling 10443?"`)) {
			t.Errorf("first message meta %s (%v), want the reaction and the edit", first.Meta, err)
		}
	})
}

func TestWebhook_InstagramConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindInstagram, e.g.settings(KindInstagram))
		// Each kind takes only its own payloads.
		e.hook(KindInstagram, ch.ID, e.fixture("messenger_text.json", ""), 422)
		e.hook(KindInstagram, ch.ID, e.fixture("instagram_text.json", ""), 200)
		tk := e.onlyTicket()
		if c := e.Contact(tk.ContactID); c.Name != "Eva de Vries" || c.Identities[0] != (domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}) {
			t.Errorf("contact %+v", c)
		}
		reply := e.Reply(tk.ID, `{"text":"Ja, maat M is er nog."}`, 201)
		e.Wait("the reply to be sent", func() bool { return e.Message(reply.ID).ExternalID == "m_sent-1" })
		if s := e.g.Sends(); s[0].Path != pageID || s[0].Recipient.ID != igsid {
			t.Errorf("sent %+v, want through the Page to the IGSID", s[0])
		}
		e.hook(KindInstagram, ch.ID, e.fixture("instagram_events.json", "m_sent-1"), 200)
		// A late delivery does not take the read back.
		e.hook(KindInstagram, ch.ID, []byte(`{"object":"instagram","entry":[{"id":"`+igAccountID+`","messaging":[{"sender":{"id":"`+igsid+`"},"recipient":{"id":"`+igAccountID+`"},"timestamp":1765105900000,"delivery":{"mids":["m_sent-1"]}}]}]}`), 200)
		got := e.Message(reply.ID)
		if got.DeliveryStatus != domain.DeliveryRead || !bytes.Contains(got.Meta, []byte(`"reactions":{"instagram:`+igsid+`":"❤️"}`)) {
			t.Errorf("reply %s with meta %s, want read with the customer's reaction", got.DeliveryStatus, got.Meta)
		}
		msgs := e.Messages(tk.ID)
		if texts := fmt.Sprint(len(msgs), msgs[len(msgs)-1].Text); !strings.Contains(texts, "does not share") {
			t.Errorf("last message %q, want the unsupported note", texts)
		}
	})
}

func TestWebhook_AFailedDownloadIsKeptAsADeadLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		body := []byte(strings.ReplaceAll(string(e.fixture("messenger_image.json", "")), "/cdn/", "/cdn/gone/"))
		e.hook(KindMessenger, ch.ID, body, 200)
		dls, err := st.DeadLetters(context.Background())
		if err != nil || len(dls) != 1 || !strings.Contains(dls[0].Error, "403") || len(e.Tickets()) != 0 {
			t.Fatalf("dead letters %+v (%v), want the payload kept and nothing stored", dls, err)
		}
	})
}

func TestReply_RateLimitedIsRetriedAndTheWindowErrorIsPermanent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_text.json", ""), 200)
		tk := e.onlyTicket()

		e.g.fail(graphReply{429, `{}`}, graphErr(400, 613, 0, "Calls to this api have exceeded the rate limit."))
		retried := e.Reply(tk.ID, `{"text":"Een moment."}`, 201)
		e.Wait("the reply to be sent after two refusals", func() bool { return e.Message(retried.ID).DeliveryStatus == domain.DeliverySent })
		if n := e.g.Attempts(); n != 3 {
			t.Errorf("%d Send API calls, want three", n)
		}

		e.g.fail(graphErr(400, 10, 2018278, "(#10) This message is sent outside of allowed window."))
		closed := e.Reply(tk.ID, `{"text":"Nog een vraag?"}`, 201)
		e.Wait("the reply to fail", func() bool { return e.Message(closed.ID).DeliveryStatus == domain.DeliveryFailed })
		if m := e.Message(closed.ID); !strings.Contains(m.DeliveryError, "outside of allowed window") || e.g.Attempts() != 4 {
			t.Errorf("delivery error %q after %d calls, want Meta's words after one more", m.DeliveryError, e.g.Attempts())
		}
	})
}

func TestReply_OutsideTheWindowIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := start(t, st)
		ch := e.CreateChannel(KindMessenger, e.g.settings(KindMessenger))
		e.hook(KindMessenger, ch.ID, e.fixture("messenger_text.json", ""), 200)
		tk := e.onlyTicket()
		e.clock.Add((24*time.Hour + time.Minute).Milliseconds())
		body := e.Do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", tk.ID), `{"text":"Sorry voor de late reactie"}`, 422, nil)
		if !strings.Contains(string(body), "outside_window") || e.g.Attempts() != 0 {
			t.Errorf("answer %s after %d sends, want outside_window and nothing sent", body, e.g.Attempts())
		}
	})
}
