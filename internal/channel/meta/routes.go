package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"loket.dev/loket/internal/channel"
)

// SignatureHeader carries sha256=hex(HMAC-SHA256(app secret, raw body)).
const SignatureHeader = "X-Hub-Signature-256"

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

// handshake answers Meta's subscription check: hub.challenge echoed when
// hub.verify_token is the channel's, 403 otherwise.
func (a *Adapter) handshake(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	q := r.URL.Query()
	want := req.Channel.Secrets[SecretVerifyToken]
	got := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return channel.Errorf(http.StatusForbidden, "invalid_verify_token", "hub.verify_token does not match this channel's verify_token")
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 {
		return channel.Errorf(http.StatusBadRequest, "invalid_challenge", "hub.challenge must be 1 to 256 characters")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_, err := fmt.Fprint(w, challenge)
	return err
}

// webhook checks Meta's signature over the raw body before anything else,
// then hands the payload to the core and acknowledges it only once it is
// committed or kept.
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request, req *channel.Request) error {
	body, err := req.Body()
	if err != nil {
		return err
	}
	if !validSignature(req.Channel.Secrets[SecretAppSecret], r.Header.Get(SignatureHeader), body) {
		return channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the %s header does not match the body signed with the channel's app_secret", SignatureHeader)
	}
	if err := req.Ingest(r.Header.Get("Content-Type"), body); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = fmt.Fprint(w, "EVENT_RECEIVED")
	return err
}

// validSignature reports whether header is sha256=hex(HMAC-SHA256(secret,
// body)).
func validSignature(secret, header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
