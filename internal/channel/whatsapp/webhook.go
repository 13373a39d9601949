package whatsapp

import (
	_ "embed"
	"net/http"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/metahook"
)

// maxWebhookBody caps a webhook payload; Meta batches at most a few
// messages, and media arrives by reference.
const maxWebhookBody = 3 << 20

// Routes implements channel.Router: the webhook and its verification
// handshake share one address, as Meta calls both at the callback URL.
func (a *Adapter) Routes() []channel.Route {
	return []channel.Route{
		{Method: http.MethodGet, Path: "webhook", Handle: a.verify},
		{Method: http.MethodPost, Path: "webhook", MaxBody: maxWebhookBody, Handle: a.webhook},
	}
}

// verify answers Meta's subscription handshake.
func (*Adapter) verify(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	return metahook.Handshake(w, r, req.Channel.Secrets[SecretVerifyToken])
}

// webhook checks Meta's signature over the raw body before anything else,
// hands the payload to the core, and acknowledges it only once it is
// committed or kept as a dead letter; any other answer makes Meta retry.
func (*Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if !metahook.Verify(req.Channel.Secrets[SecretAppSecret], body, r.Header.Get(metahook.SignatureHeader)) {
		return channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the payload's "+metahook.SignatureHeader+" does not match the channel's app_secret")
	}
	if err := req.Ingest(r.Header.Get("Content-Type"), body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
