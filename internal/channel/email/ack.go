package email

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/sla"
)

// Sender queues a reply on a ticket; *desk.Desk satisfies it.
type Sender interface {
	Send(ctx context.Context, out *desk.Outgoing) (*domain.Message, error)
}

// Acknowledger answers the first mail of a new ticket with its number, in
// the customer's language (Dutch, German, otherwise English). It writes to
// each sender at most once per Window; that memory is per process and lost
// on restart.
type Acknowledger struct {
	Sender Sender
	// Window is the minimum time between two acknowledgements to the same
	// address; one hour when zero.
	Window time.Duration
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Hours gives the business hours of the channel a nudge names; nil
	// leaves such nudges out.
	Hours *hours.Service

	mu   sync.Mutex
	last map[string]time.Time
}

// Acknowledge sends the acknowledgement for r, the ticket m was stored on,
// when the channel has auto_ack enabled, m opened a new ticket, and m is a
// mail a person sent that may be answered (see [Mail.ShouldAutoAcknowledge]).
func (a *Acknowledger) Acknowledge(ctx context.Context, ch *domain.Channel, m *Mail, r *desk.Received) error {
	s, err := ParseSettings(ch.Settings)
	if err != nil || s.AutoAck == nil || !s.AutoAck.Enabled {
		return err
	}
	if !r.Created || r.Duplicate || !m.ShouldAutoAcknowledge() || !a.allow(m.From.Email) {
		return nil
	}
	lang := languageOf(m.From.Email)
	if r.Contact != nil && r.Contact.Language != "" {
		lang = r.Contact.Language
	}
	ack := Ack{Lang: lang, Number: r.Ticket.Number, Subject: r.Ticket.Subject}
	loc, err := time.LoadLocation(cmpOr(s.AutoAck.TimeZone, "Europe/Amsterdam"))
	if err != nil {
		loc = time.UTC
	}
	if r.Ticket.FirstResponseDue != 0 {
		// The SLA engine computed this from the policy and business hours.
		ack.Expect = time.UnixMilli(r.Ticket.FirstResponseDue).In(loc)
	}
	if n := s.AutoAck.Nudge; n != nil && n.URL != "" && a.staffed(ctx, n) {
		ack.NudgeURL = n.URL
	}
	_, err = a.Sender.Send(ctx, &desk.Outgoing{
		TicketID: r.Ticket.ID, ChannelID: ch.ID, AuthorType: domain.AuthorSystem, Text: ack.Text(),
	})
	return err
}

// staffed reports whether the channel a nudge points to is at work now:
// by the business hours of the channel it names, else by its own hours.
func (a *Acknowledger) staffed(ctx context.Context, n *Nudge) bool {
	switch {
	case n.ChannelID != 0:
		if a.Hours == nil {
			return false
		}
		rules, _ := a.Hours.Rules(ctx) // on failure, the hours loaded last
		if rules == nil {
			return false
		}
		cal, ok := rules.ForChannelID(n.ChannelID)
		return ok && (cal == nil || cal.IsOpen(a.now()))
	case n.Hours != nil:
		cal, err := sla.NewCalendar(*n.Hours)
		return err == nil && cal.IsOpen(a.now())
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (a *Acknowledger) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// allow reports whether addr may get an acknowledgement now, and if so
// remembers that it got one.
func (a *Acknowledger) allow(addr string) bool {
	now := a.now()
	window := a.Window
	if window == 0 {
		window = time.Hour
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[string]time.Time{}
	}
	if t, ok := a.last[addr]; ok && now.Sub(t) < window {
		return false
	}
	if len(a.last) > 10000 {
		for k, t := range a.last {
			if now.Sub(t) >= window {
				delete(a.last, k)
			}
		}
	}
	a.last[addr] = now
	return true
}

// languageOf guesses a sender's language from the country domain of their
// address, for contacts whose language is not known yet.
func languageOf(addr string) string {
	switch addr[strings.LastIndexByte(addr, '.')+1:] {
	case "nl", "be", "sr":
		return "nl"
	case "de", "at", "ch", "li":
		return "de"
	}
	return "en"
}

// Ack is what an acknowledgement says: the ticket, when an answer can be
// expected (zero: not said) and a faster channel that is open now (empty:
// none).
type Ack struct {
	Lang     string // ISO 639-1: nl, de, otherwise English
	Number   int64
	Subject  string
	Expect   time.Time
	NudgeURL string
}

// ackTexts holds the sentences of an acknowledgement per language.
var ackTexts = map[string]struct{ thanks, expect, nudge, reply, layout string }{
	"nl": {"Bedankt voor je bericht %q. We hebben het ontvangen als ticket #%d.",
		"Je kunt uiterlijk %s een antwoord verwachten.",
		"Heb je sneller hulp nodig? Onze chat is nu open: %s",
		"Antwoord op deze e-mail als je nog iets wilt toevoegen; laat [#%d] in het onderwerp staan.", "02-01-2006 om 15:04"},
	"de": {"Vielen Dank für Ihre Nachricht %q. Wir haben sie als Ticket #%d erhalten.",
		"Sie erhalten spätestens am %s eine Antwort.",
		"Brauchen Sie schneller Hilfe? Unser Chat ist jetzt geöffnet: %s",
		"Antworten Sie auf diese E-Mail, wenn Sie etwas ergänzen möchten; lassen Sie [#%d] im Betreff stehen.", "02.01.2006 um 15:04"},
	"en": {"Thank you for your message %q. We received it as ticket #%d.",
		"You can expect an answer by %s.",
		"Need help sooner? Our chat is open now: %s",
		"Reply to this e-mail to add anything; please keep [#%d] in the subject.", "2 Jan 2006 at 15:04"},
}

// Text renders the acknowledgement.
func (a Ack) Text() string {
	t, ok := ackTexts[strings.ToLower(a.Lang)]
	if !ok {
		t = ackTexts["en"]
	}
	parts := []string{fmt.Sprintf(t.thanks, strings.TrimSpace(a.Subject), a.Number)}
	if !a.Expect.IsZero() {
		parts = append(parts, fmt.Sprintf(t.expect, a.Expect.Format(t.layout)))
	}
	if a.NudgeURL != "" {
		parts = append(parts, fmt.Sprintf(t.nudge, a.NudgeURL))
	}
	parts = append(parts, fmt.Sprintf(t.reply, a.Number))
	return strings.Join(parts, "\n\n")
}
