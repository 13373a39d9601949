package telegram

import (
	"crypto/hmac"
	_ "embed"
	"encoding/json"
	"net/http"

	"loket.dev/loket/internal/channel"
)

// Routes implements channel.Router: the webhook Telegram posts updates to.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{{Method: "POST", Path: a.WebhookPath(), Handle: a.webhook}}
}

// webhook checks the secret token Telegram sends with every update
// (setWebhook's secret_token) before reading the body, then ingests the
// update and only then answers 200. A button tap is answered in the same
// reply (a Bot API call in the webhook's answer), which stops the
// customer's app from showing a spinner.
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	want := secretToken(req.Channel)
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if want == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return channel.Errorf(http.StatusUnauthorized, "invalid_secret", "the X-Telegram-Bot-Api-Secret-Token header does not match the channel's secret token")
	}
	body, err := req.Body()
	if err != nil {
		return err
	}
	if err := req.Ingest(ContentType, body); err != nil {
		return err
	}
	if id := callbackQueryID(body); id != "" {
		channel.WriteJSON(w, http.StatusOK, map[string]string{"method": "answerCallbackQuery", "callback_query_id": id})
		return nil
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// callbackQueryID is the id of the button tap an update carries, if any.
func callbackQueryID(body []byte) string {
	var u struct {
		CallbackQuery *struct {
			ID string `json:"id"`
		} `json:"callback_query"`
	}
	if json.Unmarshal(body, &u) != nil || u.CallbackQuery == nil {
		return ""
	}
	return u.CallbackQuery.ID
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
