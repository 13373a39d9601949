package frontdesk

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"loket.dev/loket/internal/domain"
)

//go:embed display
var assets embed.FS

var displayPage = template.Must(template.ParseFS(assets, "display/display.html"))

// displayCSP lets the page run only its own script and styles, and reach
// only its own queue.
const displayCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// Display serves the waiting-room display of every front desk channel:
// the page at /desk/{channel}/display, rendered with the queue as it is,
// and its script and styles, which poll the public queue endpoint and
// redraw. Mount it at /desk/. It needs no sign-in: it shows numbers and
// counters only.
func (a *Adapter) Display() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /desk/{channel}/display", a.serveDisplay)
	mux.HandleFunc("GET /desk/display.js", serveAsset("display/display.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /desk/display.css", serveAsset("display/display.css", "text/css; charset=utf-8"))
	return mux
}

func serveAsset(name, contentType string) http.HandlerFunc {
	body, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded above
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	}
}

func (a *Adapter) serveDisplay(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", displayCSP)
	id, err := strconv.ParseInt(r.PathValue("channel"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "No such front desk.", http.StatusNotFound)
		return
	}
	ch, err := a.store.Channel(r.Context(), id)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (ch.Kind != Kind || !ch.Enabled)) {
		http.Error(w, "No such front desk.", http.StatusNotFound)
		return
	} else if err != nil {
		a.log.Error("front desk display", "channel", id, "err", err)
		http.Error(w, "The display is not available right now.", http.StatusServiceUnavailable)
		return
	}
	v, err := a.queue(r.Context(), ch)
	if err != nil {
		a.log.Error("front desk display", "channel", id, "err", err)
		http.Error(w, "The display is not available right now.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err = displayPage.Execute(w, map[string]any{
		"Queue":       v,
		"ID":          id,
		"WaitMinutes": waitMinutes(v.ExpectedWaitMs),
		"QueueURL":    "/api/v1/desk/" + strconv.FormatInt(id, 10) + "/queue",
	})
	if err != nil {
		a.log.Warn("front desk display", "channel", id, "err", err)
	}
}

// waitMinutes is an expected wait in whole minutes, rounded up, as the
// display shows it.
func waitMinutes(ms int64) int64 {
	return (ms + 59999) / 60000
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI implements channel.Documenter.
func (*Adapter) OpenAPI() []byte { return openAPI }
