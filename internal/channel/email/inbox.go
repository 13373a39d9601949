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

// ChannelLister lists channels of a kind with their secrets; *store.Store
// satisfies it.
type ChannelLister interface {
	Channels(ctx context.Context, kind string) ([]*domain.Channel, error)
}

// ContentType is the content type under which raw mails are ingested.
const ContentType = "message/rfc822"

// Inbox is where the transports (IMAP, SMTP) hand over each mail they
// receive: it is ingested (parsed once, by the channel's adapter) and new
// tickets may be acknowledged.
type Inbox struct {
	Receiver Receiver
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
			if err := b.Acks.Acknowledge(ctx, ch, r); err != nil {
				b.log().Warn("auto-acknowledgement failed", "channel", ch.ID, "ticket", r.Ticket.ID, "err", err)
			}
		}
	}
	return nil
}

func (b *Inbox) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}
