package twiliohook

import (
	"errors"
	"net/url"
	"testing"

	"loket.dev/loket/internal/channel"
)

// Twilio's documented example of a signed request.
func TestSign_MatchesTheDocumentedVector(t *testing.T) {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	const documented = "https://mycompany.com/myapp.php?foo=1&bar=2"
	got := Sign("12345", documented, params)
	if want := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	body := []byte(params.Encode())
	if form, err := Verify("12345", documented, got, body); err != nil || form.Get("Digits") != "1234" {
		t.Errorf("the documented signature is refused: %v %v", form, err)
	}
	for name, c := range map[string]struct{ token, url, sig string }{
		"wrong token":   {"54321", documented, got},
		"other URL":     {"12345", "https://mycompany.com/myapp.php?foo=1&bar=3", got},
		"no signature":  {"12345", documented, ""},
		"no auth token": {"", documented, got},
	} {
		var he *channel.HTTPError
		if _, err := Verify(c.token, c.url, c.sig, body); !errors.As(err, &he) || he.Status != 401 || he.Code != "invalid_signature" {
			t.Errorf("%s: error %v, want 401 invalid_signature", name, err)
		}
	}
}
