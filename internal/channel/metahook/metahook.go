// Package metahook speaks what Meta's webhooks share, whichever product
// posts them (WhatsApp, Messenger, Instagram): the X-Hub-Signature-256
// signature over the raw body, and the hub.challenge handshake Meta makes
// when a callback URL is saved.
package metahook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"

	"loket.dev/loket/internal/channel"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the app secret.
const SignatureHeader = "X-Hub-Signature-256"

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

// Handshake answers Meta's subscription check: hub.challenge echoed as
// plain text when hub.verify_token is verifyToken (compared in constant
// time), 403 otherwise.
func Handshake(w http.ResponseWriter, r *http.Request, verifyToken string) error {
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || verifyToken == "" ||
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return channel.Errorf(http.StatusForbidden, "invalid_verify_token", "hub.verify_token does not match the channel's verify_token")
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 {
		return channel.Errorf(http.StatusBadRequest, "invalid_challenge", "hub.challenge must be 1 to 256 characters")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, challenge)
	return err
}
