package desk

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// MaxCSATComment bounds the comment of a satisfaction rating, in characters.
const MaxCSATComment = 2000

// RateTicket records the customer's satisfaction with a solved ticket: a
// score from 1 to 5 and an optional comment. A ticket is rated once; the
// rating is shown to agents through a ticket.updated event, and kept as an
// answered CSAT survey; a low one publishes survey.answered.
func (d *Desk) RateTicket(ctx context.Context, ticketID int64, score int, comment string) (*domain.Ticket, error) {
	comment = strings.TrimSpace(comment)
	if score < 1 || score > 5 {
		return nil, domain.Invalid("invalid_score", "score must be a whole number from 1 to 5")
	}
	if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > MaxCSATComment {
		return nil, domain.Invalid("invalid_comment", fmt.Sprintf("comment must be valid text of at most %d characters", MaxCSATComment))
	}
	var t *domain.Ticket
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if t, err = tx.Ticket(ctx, ticketID); err != nil {
			return err
		}
		if t.Status != domain.StatusSolved && t.Status != domain.StatusClosed {
			return domain.Invalid("not_solved", "a ticket can be rated once it is solved")
		}
		if t.CSATScore != 0 {
			return domain.Invalid("already_rated", "this ticket has been rated already")
		}
		now := d.now()
		if err := tx.RateTicket(ctx, t.ID, score, comment, now); err != nil {
			return err
		}
		t.CSATScore, t.CSATComment, t.CSATAt, t.UpdatedAt = score, comment, now, now
		low, err := d.recordRating(ctx, tx, t, now)
		if err != nil {
			return err
		}
		ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
		events = []domain.Event{with(ev, domain.EventTicketUpdated, t, nil)}
		if low != nil {
			ev.Type, ev.Survey = domain.EventSurveyAnswered, low
			events = append(events, ev)
		}
		return d.record(ctx, tx, events)
	})
	if err != nil {
		return nil, fmt.Errorf("rate ticket %d: %w", ticketID, err)
	}
	d.publish(ctx, events)
	return t, nil
}

// recordRating keeps a rating given in the widget as an answered CSAT
// survey too, so that survey answers list every rating; it returns the
// survey when the score is low.
func (d *Desk) recordRating(ctx context.Context, tx *store.Store, t *domain.Ticket, now int64) (*domain.Survey, error) {
	v := &domain.Survey{TicketID: t.ID, ContactID: t.ContactID, ChannelID: t.ChannelID, TeamID: t.TeamID,
		Kind: domain.SurveyCSAT, DueAt: now, CreatedAt: now}
	inserted, err := tx.ScheduleSurvey(ctx, v)
	if err != nil || !inserted {
		return nil, err
	}
	if _, err := tx.ClaimSurvey(ctx, v.ID, "", now); err != nil {
		return nil, err
	}
	v.SentAt, v.AnsweredAt, v.Score, v.Comment = now, now, t.CSATScore, t.CSATComment
	if v.Comment != "" {
		v.CommentedAt = now
	}
	if err := tx.AnswerSurvey(ctx, v); err != nil {
		return nil, err
	}
	if v.Kind.Low(v.Score) {
		return v, nil
	}
	return nil, nil
}
