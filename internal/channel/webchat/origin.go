package webchat

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"loket.dev/loket/internal/domain"
)

// ErrOrigin means a browser on a site the channel does not allow tried to
// use it.
var ErrOrigin = errors.New("this site may not use the chat channel; add its origin to the channel's allowed_origins")

// CheckOrigin reports whether the request may use the channel: requests
// without an Origin header (not from a browser), from Loket's own origin,
// and from the channel's allowed origins may. It also sets the CORS
// headers for an allowed cross-origin request; the visitor endpoints take
// simple requests only (POST of text/plain or multipart bodies, no custom
// headers), so browsers need no preflight.
func CheckOrigin(w http.ResponseWriter, r *http.Request, s *Settings) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	w.Header().Add("Vary", "Origin")
	if !originAllowed(origin, r, s) {
		return ErrOrigin
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return nil
}

func originAllowed(origin string, r *http.Request, s *Settings) bool {
	o, ok := normalizeOrigin(origin)
	if !ok {
		return false
	}
	if host := strings.ToLower(r.Host); host != "" && (o == "http://"+host || o == "https://"+host) {
		return true
	}
	for _, a := range s.AllowedOrigins {
		if a == "*" {
			return true
		}
		if n, ok := normalizeOrigin(a); ok && n == o {
			return true
		}
	}
	return false
}

// Snippet returns the HTML a site pastes to show the widget of ch. base is
// Loket's public URL; the adapter's configured one wins when set.
func (a *Adapter) Snippet(ch *domain.Channel, base string) string {
	if a.baseURL != "" {
		base = a.baseURL
	}
	src := html.EscapeString(strings.TrimRight(base, "/") + "/widget/loader.js")
	return fmt.Sprintf(`<script src="%s" data-loket-channel="%d" async></script>`, src, ch.ID)
}
