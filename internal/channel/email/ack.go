package email

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
)

// Sender queues a reply on a ticket; *desk.Desk satisfies it.
type Sender interface {
	Send(ctx context.Context, out *desk.Outgoing) (*domain.Message, error)
}

// WaitEstimator tells how long new work of a kind waits for a team's
// agents now, and whether anyone who could take it is online; the routing
// dispatcher provides it.
type WaitEstimator interface {
	EstimatedWait(teamID int64, kind string) (wait time.Duration, staffed bool)
}

// ChannelGetter reads a channel; *store.Store satisfies it.
type ChannelGetter interface {
	Channel(ctx context.Context, id int64) (*domain.Channel, error)
}

// Acknowledger answers the first mail of a new ticket with its number, in
// the customer's language (Dutch, German, otherwise English). It writes to
// each sender at most once per Window; that memory is per process and lost
// on restart.
type Acknowledger struct {
	Sender Sender
	// Waits and Channels let the acknowledgement offer the chat only while
	// it is staffed, with both live waits; without them a nudge follows
	// its hours.
	Waits    WaitEstimator
	Channels ChannelGetter
	// Window is the minimum time between two acknowledgements to the same
	// address; one hour when zero.
	Window time.Duration
	// Now returns the current time; time.Now when nil.
	Now func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
}

// Acknowledge sends the acknowledgement for r, a received mail, when the
// channel has auto_ack enabled, the mail opened a new ticket, and a person
// sent it who may be answered (see [Mail.ShouldAutoAcknowledge], whose
// verdict the parse kept in the message's meta).
func (a *Acknowledger) Acknowledge(ctx context.Context, ch *domain.Channel, r *desk.Received) error {
	s, err := ParseSettings(ch.Settings)
	if err != nil || s.AutoAck == nil || !s.AutoAck.Enabled {
		return err
	}
	if !r.Created || r.Duplicate || !mayAcknowledge(r.Message) || !a.allow(r.Message.Address.Value) {
		return nil
	}
	lang := languageOf(r.Message.Address.Value)
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
	if n := s.AutoAck.Nudge; n != nil && n.URL != "" {
		a.nudge(ctx, n, ch, r.Ticket, &ack)
	}
	_, err = a.Sender.Send(ctx, &desk.Outgoing{
		TicketID: r.Ticket.ID, ChannelID: ch.ID, AuthorType: domain.AuthorSystem, Text: ack.Text(),
	})
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// nudge offers the faster channel when it is staffed (or, without a
// channel to ask routing about, open by its hours), with the live waits of
// both channels.
func (a *Acknowledger) nudge(ctx context.Context, n *Nudge, mailCh *domain.Channel, t *domain.Ticket, ack *Ack) {
	if n.ChannelID != 0 && a.Waits != nil && a.Channels != nil {
		chat, err := a.Channels.Channel(ctx, n.ChannelID)
		if err != nil || !chat.Enabled {
			return
		}
		wait, staffed := a.Waits.EstimatedWait(chat.TeamID, chat.Kind)
		if !staffed {
			return
		}
		ack.NudgeURL, ack.ChatWait = n.URL, max(wait, time.Minute)
		if wait, staffed := a.Waits.EstimatedWait(t.TeamID, mailCh.Kind); staffed {
			ack.MailWait = wait
		}
		return
	}
	if n.Hours != nil {
		cal, err := sla.NewCalendar(*n.Hours)
		if err != nil || !cal.IsOpen(a.now()) {
			return
		}
	}
	ack.NudgeURL = n.URL
}

// mayAcknowledge reports whether the parse of m found a person who may get
// an automatic answer.
func mayAcknowledge(m *domain.Message) bool {
	if m.Address == nil || m.Address.Kind != domain.IdentityEmail || m.AuthorType != domain.AuthorContact {
		return false
	}
	var md meta
	if err := json.Unmarshal(m.Meta, &md); err != nil {
		return false
	}
	return !md.NoAck && md.Auto == ""
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
// expected (zero: not said) and a faster channel that is staffed now
// (empty: none), with the live expected waits of the chat and of e-mail
// (zero: not known).
type Ack struct {
	Lang     string // ISO 639-1: nl, de, otherwise English
	Number   int64
	Subject  string
	Expect   time.Time
	NudgeURL string
	ChatWait time.Duration
	MailWait time.Duration
}

// ackText holds the sentences of an acknowledgement in one language.
type ackText struct {
	thanks, expect, nudge, reply, layout string
	// chatNow and byMail state the live waits: "Chat now: about 2
	// minutes. By e-mail: within 4 hours."
	chatNow, byMail string
	// minutes and hours render a wait: singular and plural.
	minute, minutes, hour, hours string
}

// ackTexts holds the sentences of an acknowledgement per language.
var ackTexts = map[string]ackText{
	"nl": {"Bedankt voor je bericht %q. We hebben het ontvangen als ticket #%d.",
		"Je kunt uiterlijk %s een antwoord verwachten.",
		"Heb je sneller hulp nodig? Onze chat is nu open: %s",
		"Antwoord op deze e-mail als je nog iets wilt toevoegen; laat [#%d] in het onderwerp staan.", "02-01-2006 om 15:04",
		"Chat nu: ongeveer %s.", "Per e-mail: binnen %s.", "minuut", "minuten", "uur", "uur"},
	"de": {"Vielen Dank für Ihre Nachricht %q. Wir haben sie als Ticket #%d erhalten.",
		"Sie erhalten spätestens am %s eine Antwort.",
		"Brauchen Sie schneller Hilfe? Unser Chat ist jetzt geöffnet: %s",
		"Antworten Sie auf diese E-Mail, wenn Sie etwas ergänzen möchten; lassen Sie [#%d] im Betreff stehen.", "02.01.2006 um 15:04",
		"Chat jetzt: etwa %s.", "Per E-Mail: innerhalb von %s.", "Minute", "Minuten", "Stunde", "Stunden"},
	"en": {"Thank you for your message %q. We received it as ticket #%d.",
		"You can expect an answer by %s.",
		"Need help sooner? Our chat is open now: %s",
		"Reply to this e-mail to add anything; please keep [#%d] in the subject.", "2 Jan 2006 at 15:04",
		"Chat now: about %s.", "By e-mail: within %s.", "minute", "minutes", "hour", "hours"},
}

// wait renders d as whole minutes (at least one), or whole hours (rounded
// up) from two hours on.
func (t ackText) wait(d time.Duration) string {
	if d >= 2*time.Hour {
		h := int((d + time.Hour - 1) / time.Hour)
		return fmt.Sprintf("%d %s", h, t.hours)
	}
	m := max(1, int((d+time.Minute-1)/time.Minute))
	if m == 1 {
		return "1 " + t.minute
	}
	return fmt.Sprintf("%d %s", m, t.minutes)
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
		nudge := fmt.Sprintf(t.nudge, a.NudgeURL)
		if a.ChatWait > 0 {
			nudge += "\n" + fmt.Sprintf(t.chatNow, t.wait(a.ChatWait))
			if a.MailWait > 0 {
				nudge += " " + fmt.Sprintf(t.byMail, t.wait(a.MailWait))
			}
		}
		parts = append(parts, nudge)
	}
	parts = append(parts, fmt.Sprintf(t.reply, a.Number))
	return strings.Join(parts, "\n\n")
}
