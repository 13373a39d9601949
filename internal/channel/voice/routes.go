package voice

import (
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// maxWebhookBody caps a telephone system's post: a call event is a few
// hundred bytes.
const maxWebhookBody = 64 << 10

// Callback requests allowed per client address an hour and per number a
// day: the route is public.
const (
	callbacksPerIP     = 10
	callbacksPerNumber = 3
)

// Routes implements channel.Router: the CTI address, Twilio's webhooks
// and the bridge of a click-to-call, and the public callback request.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{
		{Method: http.MethodPost, Path: "cti/{token}", MaxBody: maxWebhookBody, Handle: a.cti},
		{Method: http.MethodPost, Path: routeIncoming, MaxBody: maxWebhookBody, Handle: a.twilioHook(routeIncoming)},
		{Method: http.MethodPost, Path: routeStatus, MaxBody: maxWebhookBody, Handle: a.twilioHook(routeStatus)},
		{Method: http.MethodPost, Path: routeDialStatus, MaxBody: maxWebhookBody, Handle: a.twilioHook(routeDialStatus)},
		{Method: http.MethodPost, Path: routeRecording, MaxBody: maxWebhookBody, Handle: a.twilioHook(routeRecording)},
		{Method: http.MethodPost, Path: routeBridge, MaxBody: maxWebhookBody, Handle: a.bridge},
		{Method: http.MethodPost, Path: "callback", MaxBody: 16 << 10, Handle: a.callback},
	}
}

// Parse implements channel.Parser: the payloads the routes stored, a CTI
// event as JSON (or a form) or a Twilio form with the route's decision.
func (a *Adapter) Parse(ch *domain.Channel, contentType string, body []byte, region string) (*channel.Batch, error) {
	s, err := settingsOf(ch, region)
	if err != nil {
		return nil, err
	}
	switch s.Provider {
	case ProviderCTI:
		ev, err := readCTI(contentType, body)
		if err != nil {
			return nil, err
		}
		call, err := s.calls(ev)
		if err != nil {
			return nil, err
		}
		return batchOf(call.events)
	case ProviderTwilio:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, domain.Invalid("invalid_payload", "the Twilio form cannot be read: "+err.Error())
		}
		call, err := s.twilioCalls(form)
		if err != nil {
			return nil, err
		}
		return batchOf(call.events)
	}
	return nil, domain.Invalid("invalid_settings", fmt.Sprintf("voice channel %d has no provider %q", ch.ID, s.Provider))
}

// batchOf returns the call events as a batch, refusing text a database
// cannot store (invalid UTF-8, NUL).
func batchOf(events []channel.CallEvent) (*channel.Batch, error) {
	for _, ev := range events {
		for _, s := range append([]string{ev.CallID, ev.Line, ev.Name, ev.VoicemailURL}, ev.Agents...) {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				return nil, domain.Invalid("invalid_payload", fmt.Sprintf("call %q: text must be UTF-8 without NUL characters", ev.CallID))
			}
		}
	}
	return &channel.Batch{Calls: events}, nil
}

// callbackRequest is what the website chat, the bot or the help center
// posts for a customer who wants to be called back.
type callbackRequest struct {
	Number   string `json:"number"`
	Name     string `json:"name"`
	At       string `json:"at"`
	Note     string `json:"note"`
	Language string `json:"language"`
}

// callbackThanks is the answer a customer reads, by language.
var callbackThanks = map[string]string{
	"en": "Thank you. We will call you back at %s.",
	"nl": "Dank u. We bellen u terug op %s.",
	"de": "Danke. Wir rufen Sie unter %s zurück.",
}

// callback records a customer's request to be called back, when the
// channel takes them; limited per client address and per number.
func (a *Adapter) callback(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	s, err := settingsOf(req.Channel, a.region)
	if err != nil {
		return err
	}
	if !s.Callbacks {
		return channel.Errorf(http.StatusNotFound, "not_found", "this channel takes no callback requests")
	}
	// Any site may show a callback form; the request carries no
	// credentials, so every origin may read the answer.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if !req.Allow("voice-callback-ip:"+req.ClientIP, callbacksPerIP, time.Hour) {
		return channel.Errorf(http.StatusTooManyRequests, "rate_limited", "too many callback requests from this address; try again later")
	}
	var body callbackRequest
	if err := req.Decode(&body); err != nil {
		return channel.Errorf(http.StatusBadRequest, "invalid_json", "the request must be a JSON object with number, and optionally name, at, note and language: %v", err)
	}
	n, err := readNumber(body.Number, s.Region)
	if err != nil || n.E164 == "" {
		return channel.Errorf(http.StatusBadRequest, "invalid_number", "number %q is not a phone number we can call", body.Number)
	}
	if len(body.Language) > 8 {
		return channel.Errorf(http.StatusBadRequest, "invalid_language", "language must be a language code such as nl or en")
	}
	var at time.Time
	if body.At != "" {
		if at, err = time.Parse(time.RFC3339, body.At); err != nil {
			return channel.Errorf(http.StatusBadRequest, "invalid_at", "at must be a time in RFC 3339 form, such as 2026-12-08T14:30:00+01:00")
		}
	}
	if !req.Allow("voice-callback-number:"+n.E164, callbacksPerNumber, 24*time.Hour) {
		return channel.Errorf(http.StatusTooManyRequests, "rate_limited", "this number asked to be called back several times today already; we will call")
	}
	c, err := req.Switchboard.RequestCallback(r.Context(), req.Channel.ID, channel.CallbackRequest{
		Number: n.E164, Name: strings.TrimSpace(body.Name), Language: body.Language, At: at, Note: body.Note,
	})
	if err != nil {
		return err
	}
	lang := body.Language
	if _, ok := callbackThanks[lang]; !ok {
		lang = s.Language
	}
	thanks, ok := callbackThanks[lang]
	if !ok {
		thanks = callbackThanks["en"]
	}
	channel.WriteJSON(w, http.StatusCreated, map[string]string{"id": c.CallID, "message": fmt.Sprintf(thanks, c.Customer)})
	return nil
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
