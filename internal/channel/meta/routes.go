package meta

import (
	"fmt"
	"net/http"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/metahook"
)

// maxWebhookBody allows Meta's batches of many events in one post.
const maxWebhookBody = 4 << 20

// WebhookPath implements channel.Webhooker: the callback URL to paste in
// the app's webhook settings.
func (*Adapter) WebhookPath() string { return "webhook" }

// Routes implements channel.Router: Meta's verification handshake and
// its webhook.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{
		{Method: "GET", Path: "webhook", Handle: a.handshake},
		{Method: "POST", Path: "webhook", MaxBody: maxWebhookBody, Handle: a.webhook},
	}
}

// handshake answers Meta's subscription check.
func (a *Adapter) handshake(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	return metahook.Handshake(w, r, req.Channel.Secrets[SecretVerifyToken])
}

// webhook checks Meta's signature over the raw body before anything else,
// then hands the payload to the core and acknowledges it only once it is
// committed or kept.
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if !metahook.Verify(req.Channel.Secrets[SecretAppSecret], body, r.Header.Get(metahook.SignatureHeader)) {
		return channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the %s header does not match the body signed with the channel's app_secret", metahook.SignatureHeader)
	}
	if err := req.Ingest(r.Header.Get("Content-Type"), body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = fmt.Fprint(w, "EVENT_RECEIVED")
	return err
}
