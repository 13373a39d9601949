package desk

import (
	"context"
	"fmt"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Timeline events of the second pair of eyes: reviewer, reviewer_id, and
// for a return the comment, for an approval whether the text was edited.
const (
	EventReplyApproved = "reply.approved"
	EventReplyReturned = "reply.returned"
)

// Review is a supervisor's decision on a reply awaiting approval.
type Review struct {
	MessageID    int64
	ReviewerID   int64
	Reviewer     string
	ReviewerRole domain.Role
	// Approve sends the reply; otherwise it is sent back with Comment.
	Approve bool
	// Text, when set with Approve, replaces the reply's text: the reviewer
	// corrected it. The edit is on the timeline.
	Text    *string
	Comment string
}

// ReviewReply approves a reply awaiting approval, which queues it (at its
// scheduled time, if it has one), or sends it back to its writer. The
// writer cannot review their own reply; a rule's reply any approver may.
// Approvers are the channel's named ones, else supervisors (MayApprove).
func (d *Desk) ReviewReply(ctx context.Context, r Review) (*domain.Message, error) {
	var m *domain.Message
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if m, err = tx.Message(ctx, r.MessageID); err != nil {
			return err
		}
		if m.DeliveryStatus != domain.DeliveryAwaitingApproval {
			return domain.Invalid("not_awaiting_approval", "this message is not waiting for approval")
		}
		if m.AuthorType == domain.AuthorAgent && m.AuthorID != 0 && m.AuthorID == r.ReviewerID {
			return domain.Invalid("own_reply", "a second person approves a reply, not its writer")
		}
		t, err := tx.Ticket(ctx, m.TicketID)
		if err != nil {
			return err
		}
		ch, err := tx.Channel(ctx, m.ChannelID)
		if err != nil {
			return err
		}
		if !MayApprove(ch, r.ReviewerID, r.ReviewerRole) {
			return domain.Invalid("not_approver", fmt.Sprintf("replies on channel %q are approved by its approvers", ch.Name))
		}
		now := d.now()
		values := map[string]any{"reviewer": r.Reviewer, "reviewer_id": r.ReviewerID, "message_id": m.ID}
		var text string
		if r.Approve {
			edited := r.Text != nil && strings.TrimSpace(*r.Text) != "" && *r.Text != m.Text
			if edited {
				if len(*r.Text) > MaxTextBytes {
					return domain.Invalid("too_large", fmt.Sprintf("message text is larger than %d bytes", MaxTextBytes))
				}
				if err := tx.SetMessageText(ctx, m.ID, *r.Text); err != nil {
					return err
				}
				m.Text, m.HTML = *r.Text, ""
			}
			m.DeliveryStatus = domain.DeliveryQueued
			if m.SendAt > now {
				m.DeliveryStatus = domain.DeliveryScheduled
			}
			if err := tx.SetDelivery(ctx, m.ID, m.DeliveryStatus, "", ""); err != nil {
				return err
			}
			if err := tx.EnqueueAt(ctx, m.ID, m.ChannelID, MaxAttempts, max(now, m.SendAt)); err != nil {
				return err
			}
			values["edited"] = edited
			text = "Reply approved by " + r.Reviewer
			if edited {
				text += ", who edited it"
			}
		} else {
			if strings.TrimSpace(r.Comment) == "" {
				return domain.Invalid("comment_required", "say what to change when sending a reply back")
			}
			if err := tx.SetDelivery(ctx, m.ID, domain.DeliveryReturned, "", ""); err != nil {
				return err
			}
			m.DeliveryStatus = domain.DeliveryReturned
			values["comment"] = r.Comment
			text = "Reply sent back by " + r.Reviewer + ": " + r.Comment
		}
		name := EventReplyReturned
		if r.Approve {
			name = EventReplyApproved
		}
		entry, err := timelineEvent(ctx, tx, t, r.ReviewerID, text, name, values, now)
		if err != nil {
			return err
		}
		events = []domain.Event{with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageUpdated, nil, m), entry}
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("review message %d: %w", r.MessageID, err)
	}
	d.publish(ctx, events)
	if r.Approve {
		d.wake()
	}
	return m, nil
}
