package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/store"
)

// Deliver hands one outbox job to its channel's adapter and records the
// outcome: sent, retried later with backoff, or failed with the reason.
func (d *Desk) Deliver(ctx context.Context, job store.Job) {
	out, err := d.outbound(ctx, job)
	var sent channel.Sent
	optedOut := err == nil && slices.Contains(out.Contact.OptOuts, out.Channel.Kind)
	if optedOut {
		// The customer opted out after the reply was queued.
		err = channel.Permanent(fmt.Errorf("the customer asked not to be messaged by %s", out.Channel.Kind))
	} else if err == nil {
		var a channel.Adapter
		if a, err = d.channels.Adapter(out.Channel.Kind); err == nil {
			sent, err = a.Send(ctx, out)
		} else {
			err = channel.Permanent(err)
		}
	}
	// Files the adapter made of the message (a letter's PDF) are kept
	// with it; one that cannot be stored is a passing failure.
	var made []domain.Attachment
	if err == nil && len(sent.Attachments) > 0 {
		if made, err = d.storeAttachments(ctx, sent.Attachments); err != nil {
			err = fmt.Errorf("keep the files made of message %d: %w", job.MessageID, err)
		}
	}
	var events []domain.Event
	// The outcome is recorded even when the delivery used up its time:
	// an unrecorded success would be sent again after the lease.
	ctx = context.WithoutCancel(ctx)
	txErr := d.store.Tx(ctx, func(tx *store.Store) error {
		m, terr := tx.Message(ctx, job.MessageID)
		if terr != nil {
			return terr
		}
		switch {
		case err == nil:
			status := sent.Status
			if status == "" {
				status = domain.DeliverySent
			}
			if terr := tx.FinishJob(ctx, job.ID); terr != nil {
				return terr
			}
			if terr := d.answered(ctx, tx, m, &events); terr != nil {
				return terr
			}
			if terr := tx.AddAttachments(ctx, m.ID, made); terr != nil {
				return terr
			}
			if sent.Identity != nil && sent.Identity.Value != "" && out != nil {
				// The provider tells whom it reached; an address already
				// another contact's stays theirs (agents merge).
				if _, terr := tx.AddIdentity(ctx, out.Contact.ID, *sent.Identity); terr != nil {
					return terr
				}
			}
			m.Attachments = append(m.Attachments, made...)
			return d.setDelivery(ctx, tx, m, m.DeliveryStatus.Merge(status), "", sent.ExternalID, &events)
		case channel.IsPermanent(err) || job.Attempts >= job.MaxAttempts:
			if terr := tx.FailJob(ctx, job.ID, err.Error()); terr != nil {
				return terr
			}
			return d.setDelivery(ctx, tx, m, domain.DeliveryFailed, err.Error(), "", &events)
		default:
			next := d.now() + max(outbox.Backoff(job.Attempts), min(channel.RetryWait(err), time.Hour)).Milliseconds()
			return tx.RetryJob(ctx, job.ID, next, err.Error())
		}
	})
	if txErr != nil {
		// The lease runs out and the job is claimed again; the idempotency
		// key keeps a provider that honours it from sending twice.
		d.log.Error("record delivery outcome", "message", job.MessageID, "err", txErr)
		return
	}
	if err != nil {
		d.log.Warn("delivery failed", "message", job.MessageID, "attempt", job.Attempts, "err", err)
	}
	if out != nil && !optedOut {
		d.Report(ctx, job.ChannelID, HealthDelivery, err)
	}
	d.publish(ctx, events)
}

func (d *Desk) outbound(ctx context.Context, job store.Job) (*channel.Outbound, error) {
	m, err := d.store.Message(ctx, job.MessageID)
	if err != nil {
		return nil, channel.Permanent(err)
	}
	ch, err := d.store.Channel(ctx, job.ChannelID)
	if err != nil {
		return nil, channel.Permanent(err)
	}
	if !ch.Enabled {
		return nil, fmt.Errorf("channel %q is disabled", ch.Name)
	}
	t, err := d.store.Ticket(ctx, m.TicketID)
	if err != nil {
		return nil, channel.Permanent(err)
	}
	c, err := d.store.Contact(ctx, t.ContactID)
	if err != nil {
		return nil, channel.Permanent(err)
	}
	out := &channel.Outbound{
		Channel: ch, Ticket: t, Contact: c, Message: m, To: m.Address,
		Attachment:     d.attachmentBytes,
		IdempotencyKey: fmt.Sprintf("loket-message-%d", m.ID),
	}
	if publicReply(t, ch, d.channels.Capabilities(ch.Kind)) {
		out.Public = true
		p, err := d.store.LatestPublicInbound(ctx, t.ID, ch.ID)
		if err == nil {
			out.ReplyTo = p.ExternalID
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	out.PrivateReplyTo = privateReplyTo(m)
	return out, nil
}

func (d *Desk) attachmentBytes(ctx context.Context, a domain.Attachment) ([]byte, error) {
	f, err := d.blobs.Open(ctx, a.SHA256)
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", a.Filename, err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

// answered counts a person's reply that went out later than it was
// written, scheduled or held for approval, as the team's answer for the
// SLA once it is sent: Send counts the others when they are queued.
func (d *Desk) answered(ctx context.Context, tx *store.Store, m *domain.Message, events *[]domain.Event) error {
	if m.AuthorType != domain.AuthorAgent {
		return nil
	}
	t, err := tx.Ticket(ctx, m.TicketID)
	if err != nil || t.LastAgentAt >= m.CreatedAt {
		return err
	}
	now := d.now()
	if t.FirstResponseAt == 0 {
		t.FirstResponseAt = now
	}
	if t.Status == domain.StatusNew {
		t.Status = domain.StatusOpen
	}
	t.LastAgentAt, t.UpdatedAt = now, now
	slaEvents, err := d.applySLA(ctx, tx, t, now)
	if err != nil {
		return err
	}
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return err
	}
	*events = append(*events, slaEvents...)
	*events = append(*events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventTicketUpdated, t, nil))
	return nil
}
