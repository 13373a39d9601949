package metahook

import (
	"errors"
	"net/http"
	"net/http/httptest"

	"loket.dev/loket/internal/channel"
	"testing"
)

func TestVerify(t *testing.T) {
	body := []byte(`{"object":"page"}`)
	sig := Sign("app-secret", body)
	tests := []struct {
		name, secret, sig string
		want              bool
	}{
		{"signed", "app-secret", sig, true},
		{"other secret", "other", sig, false},
		{"no secret set", "", Sign("", body), false},
		{"no header", "app-secret", "", false},
		{"without prefix", "app-secret", sig[len("sha256="):], false},
	}
	for _, tt := range tests {
		if got := Verify(tt.secret, body, tt.sig); got != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		query string
		code  int
		body  string
	}{
		{"hub.mode=subscribe&hub.verify_token=vt&hub.challenge=4242", 200, "4242"},
		{"hub.mode=subscribe&hub.verify_token=guess&hub.challenge=4242", 403, ""},
		{"hub.mode=unsubscribe&hub.verify_token=vt&hub.challenge=4242", 403, ""},
		{"hub.mode=subscribe&hub.verify_token=vt", 400, ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		err := Handshake(w, httptest.NewRequest("GET", "/webhook?"+tt.query, nil), "vt")
		var he *channel.HTTPError
		switch {
		case tt.code == http.StatusOK:
			if err != nil || w.Body.String() != tt.body || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("%s: %v, body %q", tt.query, err, w.Body.String())
			}
		case !errors.As(err, &he) || he.Status != tt.code:
			t.Errorf("%s: %v, want %d", tt.query, err, tt.code)
		}
	}
}
