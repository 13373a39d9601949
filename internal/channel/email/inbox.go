package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// Receiver stores an inbound payload; *desk.Desk satisfies it. Ingest
// returns nil only once the message is committed or kept as a dead letter.
type Receiver interface {
	Ingest(ctx context.Context, ch *domain.Channel, contentType string, body []byte) (*desk.Ingested, error)
}

// DeliveryUpdater records a provider's delivery report for an outbound
// message; *desk.Desk satisfies it.
type DeliveryUpdater interface {
	UpdateDelivery(ctx context.Context, channelID int64, externalID string, status domain.DeliveryStatus, reason string) error
}

// ChannelLister lists channels of a kind with their secrets; *store.Store
// satisfies it.
type ChannelLister interface {
	Channels(ctx context.Context, kind string) ([]*domain.Channel, error)
}

// ContentType is the content type under which raw mails are ingested.
const ContentType = "message/rfc822"

// Inbox is where the transports hand over each mail they receive: bounces
// mark the bounced reply failed, everything else is ingested, and new
// tickets may be acknowledged.
type Inbox struct {
	Receiver   Receiver
	Deliveries DeliveryUpdater
	// Acks acknowledges new tickets; nil sends no acknowledgements.
	Acks *Acknowledger
	Log  *slog.Logger
}

// errRefused wraps a *domain.Error from ingest: the mail itself is wrong,
// so offering it again cannot help.
type errRefused struct{ err error }

func (e errRefused) Error() string { return e.err.Error() }
func (e errRefused) Unwrap() error { return e.err }

// refused reports whether err means the mail was refused for its content.
func refused(err error) bool {
	var r errRefused
	return errors.As(err, &r)
}

// Deliver processes one raw mail that arrived for ch. It returns nil once
// the mail is safely handled; an error wrapping a refusal (see refused) when
// the mail cannot be accepted; any other error when it should be offered
// again later.
func (b *Inbox) Deliver(ctx context.Context, ch *domain.Channel, raw []byte) error {
	m, err := Parse(raw)
	if err != nil {
		return errRefused{domain.Invalid("invalid_email", err.Error())}
	}
	if IsBounce(m) {
		return b.bounce(ctx, ch, m)
	}
	res, err := b.Receiver.Ingest(ctx, ch, ContentType, raw)
	var de *domain.Error
	if errors.As(err, &de) {
		return errRefused{err}
	}
	if err != nil {
		return fmt.Errorf("ingest mail for channel %d: %w", ch.ID, err)
	}
	if b.Acks != nil && res != nil {
		for _, r := range res.Received {
			if err := b.Acks.Acknowledge(ctx, ch, m, r); err != nil {
				b.log().Warn("auto-acknowledgement failed", "channel", ch.ID, "ticket", r.Ticket.ID, "err", err)
			}
		}
	}
	return nil
}

// bounce marks the reply a bounce is about as failed. A bounce that names
// no message of ours is only logged: it must not become a ticket.
func (b *Inbox) bounce(ctx context.Context, ch *domain.Channel, m *Mail) error {
	id, reason, ok := Bounce(m)
	if !ok {
		b.log().Info("ignored a bounce that names no failed message of ours", "channel", ch.ID, "message_id", m.MessageID)
		return nil
	}
	err := b.Deliveries.UpdateDelivery(ctx, ch.ID, id, domain.DeliveryFailed, reason)
	if errors.Is(err, domain.ErrNotFound) {
		b.log().Info("ignored a bounce for a message we did not send", "channel", ch.ID, "original", id)
		return nil
	}
	return err
}

func (b *Inbox) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}
