package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/survey"
)

// SpamTag marks a ticket that is spam; it is never surveyed.
const SpamTag = "spam"

// webchatKind is the website chat, whose widget asks its own rating.
const webchatKind = "webchat"

const day = 24 * 3600 * 1000

// scheduleSurvey stores the survey a ticket that was just solved is due,
// in the solve's transaction: an NPS when the channel asks them and the
// contact was not asked one within the interval, else a CSAT when the
// channel asks them. Tickets tagged spam and website chats (whose widget
// asks itself) get none.
func (d *Desk) scheduleSurvey(ctx context.Context, tx *store.Store, t *domain.Ticket, now int64) error {
	if t.ChannelID == 0 || slices.Contains(t.Tags, SpamTag) {
		return nil
	}
	ch, err := tx.Channel(ctx, t.ChannelID)
	if err != nil {
		return err
	}
	s := survey.Of(ch)
	if ch.Kind == webchatKind || (!s.CSAT && !s.NPS) {
		return nil
	}
	kind := domain.SurveyCSAT
	if s.NPS {
		last, err := tx.LastSurveyAt(ctx, t.ContactID, domain.SurveyNPS)
		if err != nil {
			return err
		}
		if last == 0 || now-last >= s.Interval() {
			kind = domain.SurveyNPS
		} else if !s.CSAT {
			return nil
		}
	}
	c, err := tx.Contact(ctx, t.ContactID)
	if err != nil {
		return err
	}
	_, err = tx.ScheduleSurvey(ctx, &domain.Survey{TicketID: t.ID, ContactID: t.ContactID, ChannelID: ch.ID, TeamID: t.TeamID,
		Kind: kind, Language: survey.Language(c.Language), DueAt: now + s.Delay(), CreatedAt: now})
	return err
}

// SendDueSurveys sends up to limit surveys that are due, each as a system
// message through the outbox, and returns how many it handled. A survey
// that may not or cannot go out is skipped with the reason kept on its
// row: the ticket was reopened or tagged spam, the contact opted out of
// the channel's kind or has an unanswered survey, the channel is
// disabled, or its send window is closed.
func (d *Desk) SendDueSurveys(ctx context.Context, limit int) (int, error) {
	due, err := d.store.DueSurveys(ctx, d.now(), limit)
	if err != nil {
		return 0, err
	}
	var first error
	for _, v := range due {
		// One survey that fails must not hold up the others behind it.
		if err := d.sendSurvey(ctx, v); err != nil && first == nil {
			first = fmt.Errorf("send survey %d: %w", v.ID, err)
		}
	}
	return len(due), first
}

func (d *Desk) sendSurvey(ctx context.Context, v *domain.Survey) error {
	now := d.now()
	token := d.signer.Token(v.ID)
	var out *Outgoing
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		out, err = d.claimSurvey(ctx, tx, v, now, token)
		if errors.Is(err, domain.ErrNotFound) {
			return tx.SkipSurvey(ctx, v.ID, "gone") // its channel or contact was deleted
		}
		return err
	})
	if err != nil || out == nil {
		return err
	}
	m, err := d.Send(ctx, out)
	var invalid *domain.Error
	if errors.As(err, &invalid) {
		d.log.Info("survey not sent", "survey", v.ID, "reason", invalid.Code)
		return d.store.SkipSurvey(ctx, v.ID, invalid.Code)
	}
	if err != nil {
		// Try again at the next sweep.
		return errors.Join(err, d.store.ReleaseSurvey(ctx, v.ID))
	}
	return d.store.SurveyMessage(ctx, v.ID, m.ID)
}

// claimSurvey decides whether a due survey may go out now: when not, it
// skips it with the reason; else it claims it and returns its message.
func (d *Desk) claimSurvey(ctx context.Context, tx *store.Store, v *domain.Survey, now int64, token string) (*Outgoing, error) {
	t, err := tx.Ticket(ctx, v.TicketID)
	if err != nil {
		return nil, err
	}
	ch, err := tx.Channel(ctx, v.ChannelID)
	if err != nil {
		return nil, err
	}
	c, err := tx.Contact(ctx, v.ContactID)
	if err != nil {
		return nil, err
	}
	open, err := tx.OpenSurvey(ctx, v.ContactID, now-survey.AnswerDays*day)
	if err != nil {
		return nil, err
	}
	caps := d.channels.Capabilities(ch.Kind)
	last, err := tx.LastInboundAt(ctx, c.ID, ch.ID)
	if err != nil {
		return nil, err
	}
	var reason string
	switch {
	case t.Status.Active():
		reason = "reopened"
	case slices.Contains(t.Tags, SpamTag):
		reason = "spam"
	case !ch.Enabled:
		reason = "channel_disabled"
	case slices.Contains(c.OptOuts, ch.Kind):
		reason = "opted_out"
	case open:
		reason = "open_survey"
	case !channel.WindowOpen(caps.SendWindowSeconds, last, msTime(now)):
		reason = "outside_window"
	}
	if reason != "" {
		return nil, tx.SkipSurvey(ctx, v.ID, reason)
	}
	claimed, err := tx.ClaimSurvey(ctx, v.ID, secret.Hash(token), now)
	if err != nil || !claimed {
		return nil, err
	}
	return surveyMessage(v, survey.Of(ch), caps, d.baseURL+"/survey/"+token), nil
}

// surveyMessage is the message asking a survey: a CSAT with five buttons
// where the channel has buttons, else (and always for an NPS, whose eleven
// choices no channel's buttons hold) the question with a link to the
// survey page.
func surveyMessage(v *domain.Survey, s survey.Settings, caps channel.Capabilities, link string) *Outgoing {
	texts := s.TextsFor(v.Language)
	out := &Outgoing{TicketID: v.TicketID, ChannelID: v.ChannelID, AuthorType: domain.AuthorSystem}
	switch {
	case v.Kind == domain.SurveyCSAT && caps.Buttons:
		out.Text = texts.CSAT
		out.Meta, _ = json.Marshal(map[string]any{"quick_replies": survey.Buttons()})
	case v.Kind == domain.SurveyNPS:
		out.Text = strings.ReplaceAll(texts.NPS, "{{link}}", link)
	default:
		out.Text = strings.ReplaceAll(texts.Link, "{{link}}", link)
	}
	return out
}

// SurveyAnswer is a score, and optionally a comment, given to a survey.
// Score nil leaves the score as it is (a comment given afterwards).
type SurveyAnswer struct {
	Score   *int
	Comment *string
}

// Survey answers.
var (
	// ErrSurveyExpired: the survey was sent more than survey.AnswerDays ago.
	ErrSurveyExpired = errors.New("this survey can no longer be answered")
)

// SurveyByToken returns the survey a link's token names. A token this
// server did not sign, or of a survey never sent, is ErrNotFound; one
// sent more than survey.AnswerDays ago is returned with ErrSurveyExpired.
func (d *Desk) SurveyByToken(ctx context.Context, token string) (*domain.Survey, error) {
	id, err := d.signer.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("survey link: %w", domain.ErrNotFound)
	}
	v, err := d.store.Survey(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.SentAt == 0 || v.TokenHash != secret.Hash(token) {
		return nil, fmt.Errorf("survey %d: %w", id, domain.ErrNotFound)
	}
	if d.now() >= v.SentAt+survey.AnswerDays*day {
		return v, ErrSurveyExpired
	}
	return v, nil
}

// AnswerSurvey records a customer's answer to a survey sent to them:
// answerable once and changeable until survey.AnswerDays after it was
// sent (ErrSurveyExpired). A CSAT's answer is also the ticket's rating. A
// low score publishes survey.answered.
func (d *Desk) AnswerSurvey(ctx context.Context, id int64, a SurveyAnswer) (*domain.Survey, error) {
	var v *domain.Survey
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if v, err = tx.Survey(ctx, id); err != nil {
			return err
		}
		if events, err = d.answer(ctx, tx, v, a, d.now()); err != nil {
			return err
		}
		return d.record(ctx, tx, events)
	})
	if err != nil {
		return nil, fmt.Errorf("answer survey %d: %w", id, err)
	}
	d.publish(ctx, events)
	return v, nil
}

func (d *Desk) answer(ctx context.Context, tx *store.Store, v *domain.Survey, a SurveyAnswer, now int64) ([]domain.Event, error) {
	if v.SentAt == 0 {
		return nil, fmt.Errorf("survey %d: %w", v.ID, domain.ErrNotFound)
	}
	if now >= v.SentAt+survey.AnswerDays*day {
		return nil, ErrSurveyExpired
	}
	wasLow := v.Answered() && v.Kind.Low(v.Score)
	if a.Score != nil {
		if lo, hi := v.Kind.Scale(); *a.Score < lo || *a.Score > hi {
			return nil, domain.Invalid("invalid_score", fmt.Sprintf("score must be a whole number from %d to %d", lo, hi))
		}
		v.Score, v.AnsweredAt = *a.Score, now
	}
	if a.Comment != nil {
		c := strings.TrimSpace(*a.Comment)
		if !utf8.ValidString(c) || utf8.RuneCountInString(c) > MaxCSATComment {
			return nil, domain.Invalid("invalid_comment", fmt.Sprintf("comment must be valid text of at most %d characters", MaxCSATComment))
		}
		if !v.Answered() {
			return nil, domain.Invalid("not_answered", "give a score before a comment")
		}
		v.Comment, v.CommentedAt = c, now
	}
	if err := tx.AnswerSurvey(ctx, v); err != nil {
		return nil, err
	}
	t, err := tx.Ticket(ctx, v.TicketID)
	if err != nil {
		return nil, err
	}
	ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	var events []domain.Event
	if v.Kind == domain.SurveyCSAT {
		if err := tx.RateTicket(ctx, t.ID, v.Score, v.Comment, now); err != nil {
			return nil, err
		}
		t.CSATScore, t.CSATComment, t.CSATAt, t.UpdatedAt = v.Score, v.Comment, now, now
		events = append(events, with(ev, domain.EventTicketUpdated, t, nil))
	}
	if a.Score != nil && v.Kind.Low(v.Score) && !wasLow {
		low := ev
		low.Type, low.Survey = domain.EventSurveyAnswered, v
		events = append(events, low)
	}
	return events, nil
}

// surveyReply handles an inbound message that answers a survey instead of
// reopening a ticket: a tap on a CSAT button ("csat:N") sent to the
// contact on the channel within survey.AnswerDays, or the first text
// within survey.CommentMinutes after such a tap, which becomes the
// survey's comment. It returns nil when the message is no survey answer
// (or one that cannot be taken, such as an overlong comment), which then
// goes to the team as usual.
func (d *Desk) surveyReply(ctx context.Context, tx *store.Store, in *channel.Inbound, c *domain.Contact, now int64) (*surveyReply, error) {
	if in.Automatic || in.Kind != domain.KindMessage {
		return nil, nil
	}
	var v *domain.Survey
	var a SurveyAnswer
	var err error
	if score, ok := survey.Tap(quickReplyOf(in)); ok {
		v, err = tx.LatestSentSurvey(ctx, c.ID, in.ChannelID, domain.SurveyCSAT, now-survey.AnswerDays*day)
		a.Score = &score
	} else if strings.TrimSpace(in.Text) != "" && len(in.Attachments) == 0 {
		v, err = tx.AwaitingComment(ctx, c.ID, in.ChannelID, now)
		a.Comment = &in.Text
	} else {
		return nil, nil
	}
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	t, err := tx.Ticket(ctx, v.TicketID)
	if err != nil || t.Status.Active() {
		return nil, err // reopened since: the message is for the team
	}
	if a.Score != nil {
		v.CommentUntil = now + survey.CommentMinutes*60*1000
	} else {
		v.CommentUntil = 0
	}
	events, err := d.answer(ctx, tx, v, a, now)
	if err != nil {
		var invalid *domain.Error
		if errors.As(err, &invalid) || errors.Is(err, ErrSurveyExpired) {
			return nil, nil
		}
		return nil, err
	}
	r := &surveyReply{ticket: t, events: events}
	if a.Score != nil {
		ch, err := tx.Channel(ctx, in.ChannelID)
		if err != nil {
			return nil, err
		}
		r.thanks = survey.Of(ch).TextsFor(v.Language).Thanks
	}
	return r, nil
}

// surveyReply is an inbound survey answer: the survey's ticket, the events
// of the answer, and after a tap the thanks to send.
type surveyReply struct {
	ticket *domain.Ticket
	events []domain.Event
	thanks string
}

// thank queues the thanks for a tap (which asks for a comment) once the
// tap itself is stored, so the timeline reads in order.
func (d *Desk) thank(ctx context.Context, tx *store.Store, r *surveyReply, in *channel.Inbound, now int64) error {
	if r.thanks == "" {
		return nil
	}
	t := r.ticket
	m := &domain.Message{TicketID: t.ID, Kind: domain.KindMessage, Direction: domain.DirectionOut, ChannelID: in.ChannelID,
		DeliveryStatus: domain.DeliveryQueued, AuthorType: domain.AuthorSystem, Address: &in.From, Text: r.thanks, CreatedAt: now}
	if _, err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if err := tx.Enqueue(ctx, m.ID, m.ChannelID, MaxAttempts); err != nil {
		return err
	}
	r.events = append(r.events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageCreated, nil, m))
	d.wake()
	return nil
}

// quickReplyOf returns the quick reply id an inbound message answers.
func quickReplyOf(in *channel.Inbound) string {
	var meta struct {
		QuickReply string `json:"quick_reply"`
	}
	if len(in.Meta) == 0 || json.Unmarshal(in.Meta, &meta) != nil {
		return ""
	}
	return meta.QuickReply
}
