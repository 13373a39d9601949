package desk

import (
	"context"
	"errors"
	"fmt"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Ingested is the outcome of Ingest: the received messages, or the id of
// the dead letter that keeps the payload when processing failed.
type Ingested struct {
	Received   []*Received
	DeadLetter int64
}

// Ingest parses a provider payload with the channel's adapter and receives
// every message in it. Bad input is returned as a *domain.Error for the
// caller to answer with a 4xx. Any other failure keeps the raw payload as a
// dead letter, visible to admins with a retry action, so that a payload
// Loket acknowledged is never lost; only when even that fails does Ingest
// return an error, and the caller must answer so that the sender retries.
func (d *Desk) Ingest(ctx context.Context, ch *domain.Channel, contentType string, body []byte) (*Ingested, error) {
	res, err := d.ingest(ctx, ch, contentType, body)
	var de *domain.Error
	if err == nil || errors.As(err, &de) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return res, err
	}
	dl := &store.DeadLetter{ChannelID: ch.ID, ContentType: contentType, Payload: body, Error: err.Error()}
	if derr := d.store.AddDeadLetter(context.WithoutCancel(ctx), dl); derr != nil {
		return nil, errors.Join(err, derr)
	}
	d.log.Error("inbound payload kept as dead letter", "channel", ch.ID, "dead_letter", dl.ID, "err", err)
	if res == nil {
		res = &Ingested{}
	}
	res.DeadLetter = dl.ID
	return res, nil
}

func (d *Desk) ingest(ctx context.Context, ch *domain.Channel, contentType string, body []byte) (*Ingested, error) {
	a, err := d.channels.Adapter(ch.Kind)
	if err != nil {
		return nil, err
	}
	p, ok := a.(channel.Parser)
	if !ok {
		return nil, domain.Invalid("no_inbound", fmt.Sprintf("channels of kind %q do not take posted messages", ch.Kind))
	}
	ins, err := p.Parse(ch, contentType, body, d.region)
	if err != nil {
		return nil, err
	}
	res := &Ingested{}
	for _, in := range ins {
		in.ChannelID = ch.ID
		r, err := d.Receive(ctx, in)
		if err != nil {
			return res, err
		}
		res.Received = append(res.Received, r)
	}
	return res, nil
}

// RetryDeadLetter runs a kept payload through Ingest's processing again.
func (d *Desk) RetryDeadLetter(ctx context.Context, id int64) (*Ingested, error) {
	dl, err := d.store.DeadLetterByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if dl.ResolvedAt != 0 {
		return nil, domain.Invalid("already_resolved", fmt.Sprintf("dead letter %d was already processed", id))
	}
	ch, err := d.store.Channel(ctx, dl.ChannelID)
	if err != nil {
		return nil, err
	}
	res, err := d.ingest(ctx, ch, dl.ContentType, dl.Payload)
	if rerr := d.store.ResolveDeadLetter(context.WithoutCancel(ctx), id, err == nil, errText(err)); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	if err != nil {
		return nil, fmt.Errorf("retry dead letter %d: %w", id, err)
	}
	return res, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
