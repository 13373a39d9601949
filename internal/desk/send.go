package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// MaxAttempts is how often the outbox tries to deliver a message.
const MaxAttempts = 8

// Outgoing is a reply or internal note an agent, bot or rule writes.
type Outgoing struct {
	TicketID  int64
	ChannelID int64 // 0: the ticket's own channel; ignored for notes
	Note      bool
	Text      string
	HTML      string // sanitised by the caller
	To        *domain.Identity
	// Cc are further e-mail addresses that receive the reply (reply to
	// all); channels without copies ignore them.
	Cc         []string
	AuthorType domain.AuthorType
	AuthorID   int64
	// Attachments are stored in the blob store before the transaction.
	Attachments []channel.Attachment
	// Meta is a JSON object stored with the message, such as a bot's
	// quick replies; Cc is added to it as "cc".
	Meta json.RawMessage
}

// Send stores a reply with status queued and a durable outbox job in one
// transaction, or an internal note; the outbox delivers the reply. A crash
// after Send returns loses nothing.
func (d *Desk) Send(ctx context.Context, out *Outgoing) (*domain.Message, error) {
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.HTML) == "" && len(out.Attachments) == 0 {
		return nil, domain.Invalid("empty_message", "write some text or attach a file")
	}
	if len(out.Text) > MaxTextBytes || len(out.HTML) > MaxTextBytes {
		return nil, domain.Invalid("too_large", fmt.Sprintf("message text is larger than %d bytes", MaxTextBytes))
	}
	if len(out.Attachments) > MaxAttachments {
		return nil, domain.Invalid("too_many_attachments", fmt.Sprintf("at most %d attachments per message", MaxAttachments))
	}
	meta, err := outgoingMeta(out)
	if err != nil {
		return nil, err
	}
	for i := range out.Attachments {
		out.Attachments[i].Filename = domain.SafeFilename(out.Attachments[i].Filename)
	}
	atts, err := d.storeAttachments(ctx, out.Attachments)
	if err != nil {
		return nil, err
	}
	if out.AuthorType == "" {
		out.AuthorType = domain.AuthorAgent
	}
	m := &domain.Message{
		Kind: domain.KindNote, AuthorType: out.AuthorType, AuthorID: out.AuthorID,
		Text: out.Text, HTML: out.HTML, Attachments: atts, Meta: meta,
	}
	var events []domain.Event
	err = d.store.Tx(ctx, func(tx *store.Store) error {
		t, err := tx.Ticket(ctx, out.TicketID)
		if err != nil {
			return err
		}
		now := d.now()
		m.TicketID, m.CreatedAt = t.ID, now
		if !out.Note {
			if err := d.addressReply(ctx, tx, t, out, m); err != nil {
				return err
			}
		}
		if _, err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if !out.Note {
			if err := tx.Enqueue(ctx, m.ID, m.ChannelID, MaxAttempts); err != nil {
				return err
			}
			// Only a person's reply answers the customer for the SLA; the
			// bot's and automatic ones do not.
			if out.AuthorType == domain.AuthorAgent {
				if t.FirstResponseAt == 0 {
					t.FirstResponseAt = now
				}
				if t.Status == domain.StatusNew {
					t.Status = domain.StatusOpen
				}
				t.LastAgentAt = now
			}
		}
		t.UpdatedAt = now
		slaEvents, err := d.applySLA(ctx, tx, t, now)
		if err != nil {
			return err
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
		events = append([]domain.Event{with(ev, domain.EventMessageCreated, nil, m), with(ev, domain.EventTicketUpdated, t, nil)}, slaEvents...)
		if out.Note {
			mentioned, err := mentionEvents(ctx, tx, t, m)
			if err != nil {
				return err
			}
			events = append(events, mentioned...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("send on ticket %d: %w", out.TicketID, err)
	}
	d.publish(ctx, events)
	if !out.Note {
		d.wake()
	}
	return m, nil
}

// addressReply fills channel and recipient of a reply: the given ones, or
// the ticket's channel and the address the customer last wrote from there.
func (d *Desk) addressReply(ctx context.Context, tx *store.Store, t *domain.Ticket, out *Outgoing, m *domain.Message) error {
	chID := out.ChannelID
	if chID == 0 {
		chID = t.ChannelID
	}
	if chID == 0 {
		return domain.Invalid("no_channel", "this ticket has no channel; choose one with channel_id")
	}
	ch, err := tx.Channel(ctx, chID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Invalid("unknown_channel", fmt.Sprintf("channel %d does not exist", chID))
	} else if err != nil {
		return err
	}
	if !ch.Enabled {
		return domain.Invalid("channel_disabled", fmt.Sprintf("channel %q is disabled", ch.Name))
	}
	m.Kind, m.Direction, m.ChannelID, m.DeliveryStatus = domain.KindMessage, domain.DirectionOut, ch.ID, domain.DeliveryQueued
	if out.To != nil {
		m.Address = out.To
		return nil
	}
	addr, err := tx.LatestInboundAddress(ctx, t.ID, ch.ID)
	if err == nil {
		m.Address = addr
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	c, err := tx.Contact(ctx, t.ContactID)
	if err != nil {
		return err
	}
	if len(c.Identities) > 0 {
		m.Address = &c.Identities[0]
	}
	return nil
}

// Retry queues a failed outbound message for delivery again.
func (d *Desk) Retry(ctx context.Context, messageID int64) (*domain.Message, error) {
	var m *domain.Message
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if m, err = tx.Message(ctx, messageID); err != nil {
			return err
		}
		if m.Direction != domain.DirectionOut || m.DeliveryStatus != domain.DeliveryFailed {
			return domain.Invalid("not_failed", "only a failed outbound message can be retried")
		}
		if err := tx.SetDelivery(ctx, m.ID, domain.DeliveryQueued, "", ""); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, m.ID, m.ChannelID, MaxAttempts); err != nil {
			return err
		}
		m.DeliveryStatus, m.DeliveryError = domain.DeliveryQueued, ""
		t, err := tx.Ticket(ctx, m.TicketID)
		if err != nil {
			return err
		}
		events = []domain.Event{with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageUpdated, nil, m)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retry message %d: %w", messageID, err)
	}
	d.publish(ctx, events)
	d.wake()
	return m, nil
}

// UpdateDelivery merges a provider's status report for a message it knows
// by externalID. Reports may arrive out of order; the status only moves
// forward (see domain.DeliveryStatus.Merge).
func (d *Desk) UpdateDelivery(ctx context.Context, channelID int64, externalID string, status domain.DeliveryStatus, reason string) error {
	if !status.Valid() {
		return domain.Invalid("invalid_status", fmt.Sprintf("unknown delivery status %q", status))
	}
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		m, err := tx.MessageByExternalID(ctx, channelID, externalID)
		if err != nil {
			return err
		}
		return d.setDelivery(ctx, tx, m, m.DeliveryStatus.Merge(status), reason, "", &events)
	})
	if err != nil {
		return fmt.Errorf("delivery status of %s: %w", externalID, err)
	}
	d.publish(ctx, events)
	return nil
}

func (d *Desk) setDelivery(ctx context.Context, tx *store.Store, m *domain.Message, status domain.DeliveryStatus, reason, externalID string, events *[]domain.Event) error {
	if status != domain.DeliveryFailed {
		reason = ""
	}
	if status == m.DeliveryStatus && reason == m.DeliveryError && externalID == "" {
		return nil
	}
	err := tx.Savepoint(ctx, func() error { return tx.SetDelivery(ctx, m.ID, status, reason, externalID) })
	if externalID != "" && store.IsUnique(err) {
		// Another message already carries the provider's id; keep the
		// status, which matters more than the id.
		externalID = ""
		err = tx.SetDelivery(ctx, m.ID, status, reason, "")
	}
	if err != nil {
		return err
	}
	m.DeliveryStatus, m.DeliveryError = status, reason
	if externalID != "" {
		m.ExternalID = externalID
	}
	t, err := tx.Ticket(ctx, m.TicketID)
	if err != nil {
		return err
	}
	*events = append(*events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageUpdated, nil, m))
	return nil
}

// outgoingMeta is the stored meta of an outgoing message: the caller's
// object with the normalised CC addresses of a reply added.
func outgoingMeta(out *Outgoing) (json.RawMessage, error) {
	var cc []string
	if !out.Note {
		for _, a := range out.Cc {
			addr, err := domain.NormalizeEmail(a)
			if err != nil {
				return nil, err
			}
			cc = append(cc, addr)
		}
	}
	if len(out.Meta) == 0 && len(cc) == 0 {
		return nil, nil
	}
	m := map[string]any{}
	if len(out.Meta) > 0 {
		if err := json.Unmarshal(out.Meta, &m); err != nil {
			return nil, domain.Invalid("invalid_meta", "message meta must be a JSON object")
		}
	}
	if len(cc) > 0 {
		m["cc"] = cc
	}
	b, err := json.Marshal(m)
	return b, err
}
