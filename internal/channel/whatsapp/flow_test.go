package whatsapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"loket.dev/loket/internal/channel/metahook"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/channeltest"
	"loket.dev/loket/internal/channel/whatsapp"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// loket runs Loket with the WhatsApp adapter and one channel on g.
func loket(t testing.TB, st *store.Store, g *fakeGraph, opts channeltest.Options) (*channeltest.Env, channeltest.Channel) {
	e := channeltest.Start(t, st, opts, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{whatsapp.New(whatsapp.Config{})}
	})
	return e, e.CreateChannel(whatsapp.Kind, g.settings())
}

// post delivers a payload to the channel's webhook as Meta would, signed.
func post(e *channeltest.Env, ch channeltest.Channel, body []byte) (int, []byte) {
	return e.Post(whatsapp.Kind, ch.ID, "webhook", "application/json", body, signed(body))
}

// change wraps a "messages" value in a webhook payload for the test number.
func change(value string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages","value":{"messaging_product":"whatsapp",`+
		`"metadata":{"display_phone_number":"15550783881","phone_number_id":%q},%s}}]}]}`, wabaID, phoneNumberID, value)
}

func textPayload(id, text string) []byte {
	return change(fmt.Sprintf(`"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"31612345678"}],`+
		`"messages":[{"from":"31612345678","id":%q,"timestamp":"1750090702","type":"text","text":{"body":%q}}]`, id, text))
}

func statusPayload(id, status string) []byte {
	return change(fmt.Sprintf(`"statuses":[{"id":%q,"status":%q,"timestamp":"1750090702","recipient_id":"31612345678"}]`, id, status))
}

func TestWebhook_RefusesAWrongOrMissingSignatureBeforeReading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		body := fixture(t, "text.json")
		for name, header := range map[string]http.Header{
			"missing":         nil,
			"other secret":    {metahook.SignatureHeader: {metahook.Sign("another-app-secret", body)}},
			"other body":      {metahook.SignatureHeader: {metahook.Sign(appSecret, []byte(`{}`))}},
			"without sha256=": {metahook.SignatureHeader: {strings.TrimPrefix(metahook.Sign(appSecret, body), "sha256=")}},
		} {
			status, answer := e.Post(whatsapp.Kind, ch.ID, "webhook", "application/json", body, header)
			if status != http.StatusUnauthorized || !bytes.Contains(answer, []byte("invalid_signature")) {
				t.Errorf("%s signature: %d %s, want 401 invalid_signature", name, status, answer)
			}
		}
		if got := e.Tickets(); len(got) != 0 {
			t.Fatalf("tickets %+v after refused payloads, want none", got)
		}
		var health struct {
			Status string `json:"status"`
		}
		e.Do("GET", fmt.Sprintf("/api/v1/channels/%d", ch.ID), "", 200, &health)
		if !strings.Contains(health.Status, "app_secret") {
			t.Errorf("channel status %q, want the refused signature for the admin", health.Status)
		}
		if dl, err := st.DeadLetters(context.Background()); err != nil || len(dl) != 0 {
			t.Fatalf("dead letters %d (%v), want none", len(dl), err)
		}
		if status, answer := post(e, ch, body); status != http.StatusOK {
			t.Fatalf("signed payload: %d %s", status, answer)
		}
		if got := e.Tickets(); len(got) != 1 {
			t.Fatalf("tickets %+v, want the customer's", got)
		}
	})
}

func TestWebhook_VerificationHandshake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		get := func(mode, token string) (int, string, string) {
			q := url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}
			resp, err := http.Get(fmt.Sprintf("%s/api/v1/whatsapp/%d/webhook?%s", e.URL, ch.ID, q.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
		}
		if status, ct, body := get("subscribe", verifyToken); status != 200 || body != "1158201444" || !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("handshake: %d %s %q, want the challenge", status, ct, body)
		}
		for _, c := range [][2]string{{"subscribe", "guess"}, {"subscribe", ""}, {"unsubscribe", verifyToken}} {
			if status, _, body := get(c[0], c[1]); status != http.StatusForbidden || strings.Contains(body, "1158201444") {
				t.Errorf("mode %q token %q: %d %q, want 403 without the challenge", c[0], c[1], status, body)
			}
		}
		if want := fmt.Sprintf("/api/v1/whatsapp/%d/webhook", ch.ID); !strings.HasSuffix(ch.WebhookURL, want) {
			t.Errorf("webhook_url %q, want the webhook route", ch.WebhookURL)
		}
	})
}

func TestWebhook_DuplicateDeliveryIsStoredOnceAndFetchedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		g.media["1003383421387256"] = mediaFile{MimeType: "image/jpeg", Data: []byte("\xff\xd8\xff a black jacket")}
		e, ch := loket(t, st, g, channeltest.Options{})
		body := fixture(t, "image.json")
		for range 2 {
			if status, answer := post(e, ch, body); status != http.StatusOK {
				t.Fatalf("webhook: %d %s", status, answer)
			}
		}
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("tickets %+v, want one", tickets)
		}
		msgs := e.Messages(tickets[0].ID)
		if len(msgs) != 1 || msgs[0].Text != "Black jacket" || len(msgs[0].Attachments) != 1 {
			t.Fatalf("messages %+v, want the image once", msgs)
		}
		att := msgs[0].Attachments[0]
		if att.Filename != "image.jpg" || att.ContentType != "image/jpeg" || att.Size != int64(len("\xff\xd8\xff a black jacket")) {
			t.Errorf("attachment %+v, want the downloaded image", att)
		}
		if got := e.Contact(tickets[0].ContactID); got.Name != "Sheena Nelson" || len(got.Identities) != 1 || got.Identities[0].String() != "phone:+31612345678" {
			t.Errorf("contact %+v, want Sheena by her phone number", got)
		}
		if a, b := g.callCount("GET /v21.0/{id}"), g.callCount("GET /download/{id}"); a != 1 || b != 1 {
			t.Errorf("media looked up %d and downloaded %d times, want once each", a, b)
		}
	})
}

func TestWebhook_GoneMediaBecomesANote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		if status, answer := post(e, ch, fixture(t, "voice.json")); status != http.StatusOK {
			t.Fatalf("webhook: %d %s", status, answer)
		}
		msgs := e.Messages(e.Tickets()[0].ID)
		if len(msgs) != 1 || len(msgs[0].Attachments) != 0 || msgs[0].Text != "[audio.ogg: the file is no longer available at WhatsApp]" {
			t.Fatalf("messages %+v, want the note", msgs)
		}
	})
}

func TestWebhook_LocationInteractiveAndReaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		for _, name := range []string{"text.json", "location.json", "button_reply.json", "reaction.json"} {
			if status, answer := post(e, ch, fixture(t, name)); status != http.StatusOK {
				t.Fatalf("%s: %d %s", name, status, answer)
			}
		}
		tickets := e.Tickets()
		if len(tickets) != 1 {
			t.Fatalf("tickets %+v, want one conversation", tickets)
		}
		msgs := e.Messages(tickets[0].ID)
		if len(msgs) != 3 {
			t.Fatalf("%d messages, want text, location and button reply", len(msgs))
		}
		if !strings.Contains(msgs[1].Text, "Loket HQ, Damrak 1, Amsterdam") || !strings.Contains(msgs[1].Text, "openstreetmap.org/?mlat=52.3765&mlon=4.8945") {
			t.Errorf("location %q, want the place and a link", msgs[1].Text)
		}
		if msgs[2].Text != "Shipping" || !bytes.Contains(msgs[2].Meta, []byte(`"quick_reply":"faq-shipping"`)) {
			t.Errorf("button reply %q %s, want the title and the quick reply id", msgs[2].Text, msgs[2].Meta)
		}
		if !bytes.Contains(msgs[0].Meta, []byte(`"reactions":{"phone:+31612345678":"👍"}`)) {
			t.Errorf("first message meta %s, want the reaction", msgs[0].Meta)
		}
		if status, _ := post(e, ch, fixture(t, "reaction_removed.json")); status != http.StatusOK {
			t.Fatal(status)
		}
		if m := e.Messages(tickets[0].ID)[0]; bytes.Contains(m.Meta, []byte("reactions")) {
			t.Errorf("first message meta %s, want the reaction taken back", m.Meta)
		}
	})
}

func TestFlow_ReplyIsSentAndStatusesMergeForward(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		if status, answer := post(e, ch, textPayload("wamid.IN-1", "Waar blijft mijn pakket?")); status != 200 {
			t.Fatalf("webhook: %d %s", status, answer)
		}
		ticket := e.Tickets()[0]
		reply := e.Reply(ticket.ID, `{"text":"Hij komt morgen."}`, 201)
		e.Wait("the reply to be sent", func() bool { return e.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		if got := e.Message(reply.ID).ExternalID; got != "wamid.OUT-1" {
			t.Fatalf("reply external id %q, want WhatsApp's", got)
		}
		if sent := g.sentMessages(); len(sent) != 1 || sent[0]["to"] != "31612345678" {
			t.Fatalf("sent %v, want the reply to the customer", sent)
		}
		// read arrives before delivered and sent: the reply stays read.
		for _, s := range []string{"read", "delivered", "sent"} {
			if status, answer := post(e, ch, statusPayload("wamid.OUT-1", s)); status != 200 {
				t.Fatalf("status %s: %d %s", s, status, answer)
			}
		}
		if got := e.Message(reply.ID).DeliveryStatus; got != domain.DeliveryRead {
			t.Errorf("reply status %q, want read", got)
		}
	})
}

func TestFlow_FailuresOfTheGraphAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		post(e, ch, textPayload("wamid.IN-1", "Hallo?"))
		ticket := e.Tickets()[0]

		// A refusal that no retry can fix fails the reply with Meta's words.
		g.failNext(answer{400, `{"error":{"message":"(#131026) Message undeliverable","code":131026,"error_data":{"details":"Unable to deliver message."}}}`, ""})
		failed := e.Reply(ticket.ID, `{"text":"Eerste antwoord"}`, 201)
		e.Wait("the reply to fail", func() bool { return e.Message(failed.ID).DeliveryStatus == domain.DeliveryFailed })
		if got := e.Message(failed.ID).DeliveryError; !strings.Contains(got, "Message undeliverable: Unable to deliver message. (code 131026)") {
			t.Errorf("delivery error %q, want WhatsApp's text", got)
		}

		// A rate limit is retried until WhatsApp takes the message.
		g.failNext(answer{429, `{"error":{"message":"(#130429) Rate limit hit","code":130429}}`, ""})
		retried := e.Reply(ticket.ID, `{"text":"Tweede antwoord"}`, 201)
		e.Wait("the reply to be sent after a retry", func() bool { return e.Message(retried.ID).DeliveryStatus == domain.DeliverySent })
		if sent := g.sentMessages(); len(sent) != 1 || !strings.Contains(fmt.Sprint(sent[0]["text"]), "Tweede antwoord") {
			t.Errorf("sent %v, want the second reply once", sent)
		}

		// A failed status names the reason in Meta's words.
		post(e, ch, change(`"statuses":[{"id":"wamid.OUT-1","status":"failed","timestamp":"1750090820","recipient_id":"31612345678",`+
			`"errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message"}]}]`))
		e.Wait("the failed status", func() bool { return e.Message(retried.ID).DeliveryStatus == domain.DeliveryFailed })
		if got := e.Message(retried.ID).DeliveryError; !strings.Contains(got, "Re-engagement message (code 131047)") {
			t.Errorf("delivery error %q, want the status's reason", got)
		}
	})
}

func TestFlow_PhoneNumberFindsTheExistingContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		e, ch := loket(t, st, g, channeltest.Options{})
		var known domain.Contact
		e.Do("POST", "/api/v1/contacts", `{"name":"Sheena Nelson","identities":[{"kind":"email","value":"sheena@example.com"},{"kind":"phone","value":"06 12345678"}]}`, 201, &known)
		post(e, ch, fixture(t, "text.json"))
		tickets := e.Tickets()
		if len(tickets) != 1 || tickets[0].ContactID != known.ID {
			t.Fatalf("tickets %+v, want one for contact %d", tickets, known.ID)
		}
		if got := e.Contact(known.ID).Identities; len(got) != 2 {
			t.Errorf("identities %v, want the e-mail address and the phone number, no more", got)
		}
	})
}

func TestFlow_FreeTextOnlyWithinTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		var now atomic.Int64
		now.Store(1_750_000_000_000)
		e, ch := loket(t, st, g, channeltest.Options{Now: now.Load})
		post(e, ch, textPayload("wamid.IN-1", "Hallo?"))
		ticket := e.Tickets()[0]
		now.Add(23 * 3600 * 1000)
		e.Reply(ticket.ID, `{"text":"Nog binnen het venster"}`, 201)
		now.Add(2 * 3600 * 1000)
		if b := e.Do("POST", fmt.Sprintf("/api/v1/tickets/%d/messages", ticket.ID), `{"text":"Te laat"}`, 422, nil); !bytes.Contains(b, []byte("outside_window")) {
			t.Errorf("answer %s, want outside_window", b)
		}
	})
}

func TestFlow_TemplateOutsideTheWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		g := newFakeGraph(t)
		g.templates = [][]map[string]any{{{"name": "order_update", "language": "nl", "status": "APPROVED", "category": "UTILITY",
			"components": []any{map[string]any{"type": "BODY", "text": "Je bestelling {{1}} komt {{2}}."}}}}}
		var now atomic.Int64
		now.Store(1_750_000_000_000)
		e, ch := loket(t, st, g, channeltest.Options{Now: now.Load})
		post(e, ch, textPayload("wamid.IN-1", "Waar blijft bestelling 42?"))
		ticket := e.Tickets()[0]
		now.Add(48 * 3600 * 1000)

		var list struct {
			Templates []channel.Template `json:"templates"`
		}
		e.Do("GET", fmt.Sprintf("/api/v1/channels/%d/templates", ch.ID), "", 200, &list)
		if len(list.Templates) != 1 || list.Templates[0].Params != 2 {
			t.Fatalf("templates %+v, want order_update with two parameters", list.Templates)
		}
		reply := e.Reply(ticket.ID, `{"template":{"name":"order_update","language":"nl","params":["42","morgen"]}}`, 201)
		if reply.Text != "Je bestelling 42 komt morgen." {
			t.Errorf("reply text %q, want the template filled in", reply.Text)
		}
		e.Wait("the template to be sent", func() bool { return e.Message(reply.ID).DeliveryStatus == domain.DeliverySent })
		sent := g.sentMessages()
		if len(sent) != 1 || sent[0]["type"] != "template" {
			t.Fatalf("sent %v, want one template", sent)
		}
		if got := fmt.Sprint(sent[0]["template"]); got != "map[components:[map[parameters:[map[text:42 type:text] map[text:morgen type:text]] type:body]] language:map[code:nl] name:order_update]" {
			t.Errorf("template %s, want the name, language and body parameters", got)
		}
	})
}

func TestOpenAPI_DocumentsTheWebhook(t *testing.T) {
	e := channeltest.Start(t, storetest.Open(t, store.SQLite), channeltest.Options{}, func(*desk.Desk) []channel.Adapter {
		return []channel.Adapter{whatsapp.New(whatsapp.Config{})}
	})
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.Do("GET", "/api/v1/openapi.json", "", 200, &doc)
	item := doc.Paths["/api/v1/whatsapp/{channel}/webhook"]
	for _, method := range []string{"get", "post"} {
		var op struct {
			Access string `json:"x-loket-access"`
		}
		if err := json.Unmarshal(item[method], &op); err != nil || op.Access != "public" {
			t.Errorf("%s webhook: %s (%v), want a public operation", method, item[method], err)
		}
	}
}
