package sms

import (
	"crypto/subtle"
	_ "embed"
	"net/http"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/twiliohook"
)

// maxWebhookBody caps a provider's webhook body; an SMS webhook is a few
// kilobytes.
const maxWebhookBody = 64 << 10

// Routes implements channel.Router: the webhook for incoming messages
// (and CM's status reports), and Twilio's status callback.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{
		{Method: http.MethodPost, Path: "webhook", MaxBody: maxWebhookBody, Handle: a.webhook},
		{Method: http.MethodPost, Path: "status", MaxBody: maxWebhookBody, Handle: a.status},
	}
}

// webhook takes what the channel's provider posts: from Twilio a signed
// incoming message, from CM an incoming message or a status report with
// the channel's webhook token in the query.
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	_, s, err := a.providerOf(req.Channel)
	if err != nil {
		return err
	}
	if s.Provider == ProviderCM {
		return a.cmWebhook(w, r, req)
	}
	return a.twilioWebhook(w, r, req)
}

// status takes Twilio's status callbacks, signed like its webhook.
func (a *Adapter) status(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	_, s, err := a.providerOf(req.Channel)
	if err != nil {
		return err
	}
	if s.Provider != ProviderTwilio {
		return channel.Errorf(http.StatusNotFound, "not_found", "status callbacks are Twilio's; CM posts status reports to the webhook")
	}
	return a.twilioWebhook(w, r, req)
}

// twilioWebhook checks X-Twilio-Signature over the URL and the raw form
// before anything else, ingests the form and answers empty TwiML.
func (a *Adapter) twilioWebhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if _, err := twiliohook.Verify(req.Channel.Secrets[SecretAuthToken], req.URL, r.Header.Get(twiliohook.SignatureHeader), body); err != nil {
		return err
	}
	if err := req.Ingest(contentTypeForm, body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`))
	return nil
}

// cmWebhook checks the webhook token, which CM cannot sign with but
// repeats from the address it was given, in constant time before reading
// the body.
func (a *Adapter) cmWebhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	want := req.Channel.Secrets[SecretWebhookToken]
	got := r.URL.Query().Get("token")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return channel.Errorf(http.StatusUnauthorized, "invalid_token", "the webhook address's token does not match the channel's webhook_token")
	}
	body, err := req.Body()
	if err != nil {
		return err
	}
	if err := req.Ingest(contentTypeJSON, body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
