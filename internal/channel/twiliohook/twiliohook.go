// Package twiliohook speaks what Twilio's webhooks share, whichever product
// posts them (Messaging, Voice): the X-Twilio-Signature over the URL Twilio
// called and the form it posted. It does not parse the forms; each product's
// adapter does.
package twiliohook

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"sort"

	"loket.dev/loket/internal/channel"
)

// SignatureHeader carries a Twilio request's signature.
const SignatureHeader = "X-Twilio-Signature"

// Sign returns X-Twilio-Signature for a form POST to fullURL:
// base64(HMAC-SHA1(auth token, the URL followed by each parameter's name
// and value, in the parameters' sorted order)).
func Sign(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, fullURL)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		values := append([]string(nil), params[name]...)
		sort.Strings(values)
		for _, v := range values {
			io.WriteString(mac, name)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook's signature over the URL Twilio called and the
// raw form body, in constant time, and returns the form. A wrong or
// missing signature, or an empty auth token, is a 401 invalid_signature.
func Verify(authToken, fullURL, signature string, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(string(body))
	if err != nil || authToken == "" || signature == "" ||
		!hmac.Equal([]byte(signature), []byte(Sign(authToken, fullURL, params))) {
		return nil, channel.Errorf(http.StatusUnauthorized, "invalid_signature", "the X-Twilio-Signature header does not match this request; check the channel's auth token and that Loket's public URL (LOKET_BASE_URL) is the address Twilio calls")
	}
	return params, nil
}
