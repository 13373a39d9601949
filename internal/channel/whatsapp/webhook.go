package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"io"
	"net/http"

	"loket.dev/loket/internal/channel"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of a webhook
// body under the app secret.
const SignatureHeader = "X-Hub-Signature-256"

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

// verify answers Meta's subscription handshake: the challenge echoed back
// when the verify token is the channel's.
func (*Adapter) verify(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	q := r.URL.Query()
	want := req.Channel.Secrets[SecretVerifyToken]
	if q.Get("hub.mode") != "subscribe" || want == "" ||
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(want)) != 1 {
		return channel.Errorf(http.StatusForbidden, "invalid_verify_token", "the verify token does not match the channel's verify_token")
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 {
		return channel.Errorf(http.StatusBadRequest, "invalid_challenge", "hub.challenge must be 1 to 256 characters")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, challenge)
	return nil
}

// webhook checks Meta's signature over the raw body before anything else,
// hands the payload to the core, and acknowledges it only once it is
// committed or kept as a dead letter; any other answer makes Meta retry.
func (*Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if !Verify(req.Channel.Secrets[SecretAppSecret], body, r.Header.Get(SignatureHeader)) {
		return channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the payload's "+SignatureHeader+" does not match the channel's app_secret")
	}
	if err := req.Ingest(r.Header.Get("Content-Type"), body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// Sign returns the signature header value for body under the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's signature under appSecret,
// comparing in constant time; an empty secret verifies nothing.
func Verify(appSecret string, body []byte, signature string) bool {
	return appSecret != "" && hmac.Equal([]byte(Sign(appSecret, body)), []byte(signature))
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
