package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"loket.dev/loket/internal/channel/metahook"
	"loket.dev/loket/internal/channel/twiliohook"
)

// A webhook is how one messaging provider posts a customer's message to
// Loket, signed as the provider signs it, so that "bench ingest --kind"
// measures a kind's whole inbound path: signature, parse, commit, event.
type webhook struct {
	kind string
	// settings create the bench channel. Its provider API points at a
	// closed local port: nothing leaves the machine, and lookups an
	// adapter makes on the side (a sender's profile) fail at once.
	settings string
	// request builds the provider's request for message i from customer
	// c, and the external id the message is stored under.
	request func(endpoint string, i, c int, tag, text string) (*http.Request, string)
}

const (
	benchSecret   = "bench-app-secret-0123456789"
	benchVerify   = "bench-verify-token"
	benchProvider = "http://127.0.0.1:9"
)

// webhooks are the kinds "bench ingest --kind" posts as.
var webhooks = []webhook{
	{
		kind: "whatsapp",
		settings: fmt.Sprintf(`{"phone_number_id":"1000","waba_id":"2000","api_base_url":%q,"access_token":"bench","app_secret":%q,"verify_token":%q}`,
			benchProvider, benchSecret, benchVerify),
		request: func(endpoint string, i, c int, tag, text string) (*http.Request, string) {
			id := fmt.Sprintf("wamid.bench-%s-%d", tag, i)
			wa := fmt.Sprintf("3161%07d", c)
			body := mustJSON(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "2000",
				"changes": []any{map[string]any{"field": "messages", "value": map[string]any{
					"messaging_product": "whatsapp",
					"metadata":          map[string]any{"display_phone_number": "31201234567", "phone_number_id": "1000"},
					"contacts":          []any{map[string]any{"profile": map[string]any{"name": customerName(c)}, "wa_id": wa}},
					"messages": []any{map[string]any{"from": wa, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()),
						"type": "text", "text": map[string]any{"body": text}}},
				}}}}}})
			return metaSigned(endpoint, body), id
		},
	},
	{
		kind: "messenger",
		settings: fmt.Sprintf(`{"page_id":"3000","api_base_url":%q,"page_access_token":"bench","app_secret":%q,"verify_token":%q}`,
			benchProvider, benchSecret, benchVerify),
		request: func(endpoint string, i, c int, tag, text string) (*http.Request, string) {
			id := fmt.Sprintf("m_bench-%s-%d", tag, i)
			now := time.Now().UnixMilli()
			body := mustJSON(map[string]any{"object": "page", "entry": []any{map[string]any{"id": "3000", "time": now,
				"messaging": []any{map[string]any{"sender": map[string]any{"id": fmt.Sprintf("psid-%d", c)},
					"recipient": map[string]any{"id": "3000"}, "timestamp": now,
					"message": map[string]any{"mid": id, "text": text}}}}}})
			return metaSigned(endpoint, body), id
		},
	},
	{
		kind:     "telegram",
		settings: fmt.Sprintf(`{"api_base_url":%q,"bot_token":"123:bench","secret_token":"bench_secret_token"}`, benchProvider),
		request: func(endpoint string, i, c int, tag, text string) (*http.Request, string) {
			chat := 700000 + c
			body := mustJSON(map[string]any{"update_id": i + 1, "message": map[string]any{
				"message_id": i + 1, "date": time.Now().Unix(), "text": text,
				"from": map[string]any{"id": chat, "is_bot": false, "first_name": customerName(c), "language_code": "nl"},
				"chat": map[string]any{"id": chat, "type": "private"}}})
			req := newPost(endpoint, "application/json", body)
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "bench_secret_token")
			return req, fmt.Sprintf("msg:%d:%d", chat, i+1)
		},
	},
	{
		kind:     "sms",
		settings: fmt.Sprintf(`{"provider":"twilio","from":"+3197010203040","account_sid":"ACbench","api_base_url":%q,"auth_token":%q}`, benchProvider, benchSecret),
		request: func(endpoint string, i, c int, tag, text string) (*http.Request, string) {
			id := fmt.Sprintf("SMbench%s%d", tag, i)
			form := url.Values{"MessageSid": {id}, "AccountSid": {"ACbench"}, "From": {fmt.Sprintf("+3161%07d", c)},
				"To": {"+3197010203040"}, "Body": {text}, "NumMedia": {"0"}}
			req := newPost(endpoint, "application/x-www-form-urlencoded", []byte(form.Encode()))
			req.Header.Set("X-Twilio-Signature", twiliohook.Sign(benchSecret, endpoint, form))
			return req, id
		},
	},
}

func webhookKinds() []string {
	out := []string{"api"}
	for _, w := range webhooks {
		out = append(out, w.kind)
	}
	return out
}

func findWebhook(kind string) (webhook, bool) {
	i := slices.IndexFunc(webhooks, func(w webhook) bool { return w.kind == kind })
	if i < 0 {
		return webhook{}, false
	}
	return webhooks[i], true
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func newPost(endpoint, contentType string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

// metaSigned is a Meta webhook post (WhatsApp, Messenger): the body's
// HMAC-SHA256 under the app secret in X-Hub-Signature-256.
func metaSigned(endpoint string, body []byte) *http.Request {
	req := newPost(endpoint, "application/json", body)
	req.Header.Set("X-Hub-Signature-256", metahook.Sign(benchSecret, body))
	return req
}

func customerName(c int) string {
	return firstNames[c%len(firstNames)] + " " + lastNames[(c/len(firstNames))%len(lastNames)]
}

// createWebhookChannel creates the bench channel of w's kind through the
// REST API and returns its id and webhook URL.
func createWebhookChannel(ctx context.Context, client *http.Client, base, apiToken string, w webhook) (int64, string, error) {
	ch, err := createChannel(ctx, client, base, apiToken, fmt.Sprintf(`{"kind":%q,"name":"Bench %s","settings":%s}`, w.kind, w.kind, w.settings))
	if err == nil && ch.WebhookURL == "" {
		err = fmt.Errorf("create the bench %s channel: the answer has no webhook_url", w.kind)
	}
	return ch.ID, ch.WebhookURL, err
}
