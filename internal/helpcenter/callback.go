package helpcenter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Callbacks records customers' requests to be called back; *desk.Desk is
// one.
type Callbacks interface {
	RequestCallback(ctx context.Context, channelID int64, r channel.CallbackRequest) (*domain.Call, error)
}

// Callback requests from one address: a customer asks once or twice;
// more fills the team's phone queue.
const (
	callbacksPerIP = 5
	callbackWindow = time.Hour
	// callbackDays is how many days ahead a customer may choose.
	callbackDays = 7
	// callbackLead is how soon a chosen part of a day may start.
	callbackLead = 30 * time.Minute
)

// Parts of the day a customer may choose, by their first hour.
var callbackParts = []struct {
	hour int
	key  string
}{{9, "morning"}, {13, "afternoon"}}

// callbackForm is what the callback page shows and the customer sent.
type callbackForm struct {
	Number, Name, When, Note string
	Choices                  []choice
	Problem                  string
}

type choice struct{ Value, Label string }

// choices lists "as soon as possible" and the mornings and afternoons of
// the next days that start at least callbackLead from now.
func (h *Handler) choices(lang string, now time.Time) []choice {
	t := uiTexts[lang]
	now = now.In(h.loc)
	out := []choice{{"asap", t.CallbackASAP}}
	for i := range callbackDays {
		day := time.Date(now.Year(), now.Month(), now.Day()+i, 0, 0, 0, 0, h.loc)
		for _, p := range callbackParts {
			start := day.Add(time.Duration(p.hour) * time.Hour)
			if start.Before(now.Add(callbackLead)) {
				continue
			}
			part := t.CallbackMorning
			if p.key == "afternoon" {
				part = t.CallbackAfternoon
			}
			out = append(out, choice{start.Format("2006-01-02T15:04"), dayName(lang, start) + ", " + part})
		}
	}
	return out
}

// dayName names a day like "Tuesday 8 December" in lang.
func dayName(lang string, d time.Time) string {
	t := uiTexts[lang]
	format := "%s %d %s"
	if lang == "de" {
		format = "%s, %d. %s"
	}
	return fmt.Sprintf(format, t.Weekdays[d.Weekday()], d.Day(), t.Months[d.Month()-1])
}

// callbackPage shows the form; a help center without a callback channel
// has none.
func (h *Handler) callbackPage(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.language(w, r)
	if !ok {
		return
	}
	if h.callbackChannel == 0 {
		h.notFound(w, r, lang)
		return
	}
	h.renderCallback(w, r, http.StatusOK, lang, &callbackForm{When: "asap"})
}

func (h *Handler) renderCallback(w http.ResponseWriter, r *http.Request, status int, lang string, f *callbackForm) {
	p := h.newPage(lang, uiTexts[lang].Callback, "/help/"+lang+"/callback")
	p.NoIndex, p.Private = true, status != http.StatusOK
	f.Choices = h.choices(lang, h.now())
	p.Callback = f
	h.render(w, r, status, "callback", p)
}

// requestCallback takes the form: checked for its origin like every
// form Loket serves, limited per address, recorded by the desk; then the
// thank-you page, or the form again with what to change.
func (h *Handler) requestCallback(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.language(w, r)
	if !ok {
		return
	}
	if h.callbackChannel == 0 {
		h.notFound(w, r, lang)
		return
	}
	t := uiTexts[lang]
	if err := h.csrf.Check(r); err != nil {
		h.renderCallback(w, r, http.StatusForbidden, lang, &callbackForm{When: "asap", Problem: t.CallbackRefused})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		h.renderCallback(w, r, http.StatusBadRequest, lang, &callbackForm{When: "asap", Problem: t.Failed})
		return
	}
	f := &callbackForm{Number: r.PostFormValue("number"), Name: r.PostFormValue("name"), When: r.PostFormValue("when"), Note: r.PostFormValue("note")}
	if !h.limits.allow(h.clientIP(r), h.now()) {
		w.Header().Set("Retry-After", "3600")
		f.Problem = t.CallbackTooMany
		h.renderCallback(w, r, http.StatusTooManyRequests, lang, f)
		return
	}
	var at time.Time
	if f.When != "asap" && f.When != "" {
		var err error
		at, err = time.ParseInLocation("2006-01-02T15:04", f.When, h.loc)
		if err != nil || !h.offered(lang, f.When) {
			f.When, f.Problem = "asap", t.CallbackBadTime
			h.renderCallback(w, r, http.StatusUnprocessableEntity, lang, f)
			return
		}
	}
	_, err := h.callbacks.RequestCallback(r.Context(), h.callbackChannel, channel.CallbackRequest{
		Number: f.Number, Name: strings.TrimSpace(f.Name), Language: lang, At: at, Note: strings.TrimSpace(f.Note),
	})
	var invalid *domain.Error
	switch {
	case err == nil:
		http.Redirect(w, r, h.base+"/help/"+lang+"/callback/thanks", http.StatusSeeOther)
	case errors.As(err, &invalid) && invalid.Code == "invalid_phone":
		f.Problem = t.CallbackBadNumber
		h.renderCallback(w, r, http.StatusUnprocessableEntity, lang, f)
	case errors.As(err, &invalid) && invalid.Code == "too_large":
		f.Problem = t.CallbackTooLong
		h.renderCallback(w, r, http.StatusUnprocessableEntity, lang, f)
	default:
		h.log.Error("help center callback request", "channel", h.callbackChannel, "err", err)
		f.Problem = t.Failed
		h.renderCallback(w, r, http.StatusInternalServerError, lang, f)
	}
}

// offered reports whether when is one of the choices the form offers now.
func (h *Handler) offered(lang, when string) bool {
	for _, c := range h.choices(lang, h.now()) {
		if c.Value == when {
			return true
		}
	}
	return false
}

func (h *Handler) callbackThanks(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.language(w, r)
	if !ok {
		return
	}
	if h.callbackChannel == 0 {
		h.notFound(w, r, lang)
		return
	}
	p := h.newPage(lang, uiTexts[lang].CallbackThanks, "")
	p.NoIndex, p.Canonical = true, ""
	h.render(w, r, http.StatusOK, "thanks", p)
}

// remoteIP is the connection's peer address, for a help center that is
// not told better (Config.ClientIP).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts callback requests per address in fixed windows.
type limiter struct {
	mu     sync.Mutex
	counts map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// allow counts one request from key and reports whether it is within
// callbacksPerIP in its window; windows past their time are forgotten.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]*window{}
	}
	for k, c := range l.counts {
		if now.Sub(c.start) >= callbackWindow {
			delete(l.counts, k)
		}
	}
	c := l.counts[key]
	if c == nil {
		c = &window{start: now}
		l.counts[key] = c
	}
	c.n++
	return c.n <= callbacksPerIP
}
