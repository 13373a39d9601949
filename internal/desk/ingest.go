package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Ingested is the outcome of Ingest: the received messages, how many
// statuses and changes were applied, or the id of the dead letter that
// keeps the payload when processing failed.
type Ingested struct {
	Received []*Received
	// Statuses and Changes count those that named a message we know;
	// the others are ignored (a report about mail we never sent).
	Statuses   int
	Changes    int
	Calls      int // call events applied
	DeadLetter int64
}

// Ingest parses a provider payload once with the channel's adapter and
// applies everything in it: messages through Receive (group commit), then
// statuses and changes in one transaction, then signals. Bad input is
// returned as a *domain.Error for the caller to answer with a 4xx. Any
// other failure keeps the raw payload as a dead letter, visible to admins
// with a retry action, so that a payload Loket acknowledged is never lost;
// only when even that fails does Ingest return an error, and the caller
// must answer so that the sender retries.
func (d *Desk) Ingest(ctx context.Context, ch *domain.Channel, contentType string, body []byte) (*Ingested, error) {
	res, err := d.ingest(ctx, ch, contentType, body, fetchBudget)
	// A race lost to another node passes when tried again; messages
	// already stored are recognised by their external ids.
	for attempt := 1; transient(err) && attempt < 3 && ctx.Err() == nil; attempt++ {
		res, err = d.ingest(ctx, ch, contentType, body, fetchBudget)
	}
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

// watermark applies a status that names no message but a time: to every
// message sent on ch to the status's address up to then, and returns how
// many moved.
func (d *Desk) watermark(ctx context.Context, tx *store.Store, ch *domain.Channel, s channel.Status, events *[]domain.Event) (int, error) {
	if s.Through.IsZero() || s.To.Value == "" || s.Status == domain.DeliveryFailed {
		return 0, nil
	}
	msgs, err := tx.SentThrough(ctx, ch.ID, s.To, s.Through.UnixMilli())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range msgs {
		if next := m.DeliveryStatus.Merge(s.Status); next != m.DeliveryStatus {
			if err := d.setDelivery(ctx, tx, m, next, "", "", events); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// IngestPayload is Ingest for adapters that fetch payloads themselves
// (long polling); it is a channel.IngestFunc.
func (d *Desk) IngestPayload(ctx context.Context, ch *domain.Channel, contentType string, body []byte) error {
	_, err := d.Ingest(ctx, ch, contentType, body)
	return err
}

// fetchBudget bounds the downloads of one webhook's payload (media,
// profiles): a provider waits only so long for its answer, and a payload
// whose media is slow is better kept as a dead letter, answered, and
// fetched again later with retryFetchBudget.
const (
	fetchBudget      = 20 * time.Second
	retryFetchBudget = 2 * time.Minute
)

func (d *Desk) ingest(ctx context.Context, ch *domain.Channel, contentType string, body []byte, budget time.Duration) (*Ingested, error) {
	a, err := d.channels.Adapter(ch.Kind)
	if err != nil {
		return nil, err
	}
	p, ok := a.(channel.Parser)
	if !ok {
		return nil, domain.Invalid("no_inbound", fmt.Sprintf("channels of kind %q do not take posted messages", ch.Kind))
	}
	b, err := p.Parse(ch, contentType, body, d.region)
	if err != nil {
		return nil, err
	}
	if f, ok := a.(channel.Fetcher); ok && b != nil {
		fctx, cancel := context.WithTimeout(ctx, budget)
		err := d.fetch(fctx, f, ch, b.Messages)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	res, err := d.apply(ctx, ch, b)
	if err == nil && len(res.Received) > 0 {
		d.noteInbound(ctx, ch)
	}
	return res, err
}

// fetch lets the adapter download what its messages only refer to (media,
// the sender's profile), skipping messages already stored: a provider
// retrying a delivery does not cost a second download.
func (d *Desk) fetch(ctx context.Context, f channel.Fetcher, ch *domain.Channel, msgs []*channel.Inbound) error {
	for _, in := range msgs {
		if in.ExternalID != "" {
			if _, err := d.store.MessageByExternalID(ctx, ch.ID, in.ExternalID); err == nil {
				continue
			} else if !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		if err := f.Fetch(ctx, ch, in); err != nil {
			return fmt.Errorf("fetch %s message %s: %w", ch.Kind, in.ExternalID, err)
		}
	}
	return nil
}

// apply stores what one parse of a provider payload yielded (see
// channel.Batch). Messages are received first, so a status or change in
// the same payload can name one of them.
func (d *Desk) apply(ctx context.Context, ch *domain.Channel, b *channel.Batch) (*Ingested, error) {
	res := &Ingested{}
	if b == nil {
		return res, nil
	}
	for _, in := range b.Messages {
		in.ChannelID = ch.ID
		r, err := d.Receive(ctx, in)
		if err != nil {
			return res, err
		}
		if !r.Dropped {
			res.Received = append(res.Received, r)
		}
	}
	if len(b.Statuses)+len(b.Changes) > 0 {
		var err error
		if res.Statuses, res.Changes, err = d.applyUpdates(ctx, ch, b.Statuses, b.Changes); err != nil {
			return res, err
		}
	}
	if len(b.Calls) > 0 {
		var err error
		if res.Calls, err = d.calls(ctx, ch, b.Calls); err != nil {
			return res, err
		}
	}
	for _, s := range b.Signals {
		if err := d.signal(ctx, ch, s); err != nil {
			return res, err
		}
	}
	return res, nil
}

// applyUpdates applies statuses and changes in one transaction. Those that
// name no message of the channel are skipped.
func (d *Desk) applyUpdates(ctx context.Context, ch *domain.Channel, statuses []channel.Status, changes []channel.Change) (int, int, error) {
	var events []domain.Event
	var nStatus, nChange int
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		events, nStatus, nChange = events[:0], 0, 0
		for _, s := range statuses {
			if !s.Status.Valid() {
				return domain.Invalid("invalid_status", fmt.Sprintf("unknown delivery status %q", s.Status))
			}
			if s.ExternalID == "" {
				n, err := d.watermark(ctx, tx, ch, s, &events)
				if err != nil {
					return err
				}
				nStatus += n
				continue
			}
			m, err := tx.MessageByExternalID(ctx, ch.ID, s.ExternalID)
			if errors.Is(err, domain.ErrNotFound) || (err == nil && m.Direction != domain.DirectionOut) {
				d.log.Info("ignored a status for a message we did not send", "channel", ch.ID, "external_id", s.ExternalID, "status", s.Status)
				continue
			}
			if err != nil {
				return err
			}
			if err := d.setDelivery(ctx, tx, m, m.DeliveryStatus.Merge(s.Status), s.Reason, "", &events); err != nil {
				return err
			}
			nStatus++
		}
		for _, c := range changes {
			m, err := tx.MessageByExternalID(ctx, ch.ID, c.ExternalID)
			if errors.Is(err, domain.ErrNotFound) {
				d.log.Info("ignored a change to a message we do not know", "channel", ch.ID, "external_id", c.ExternalID, "kind", c.Kind)
				continue
			}
			if err != nil {
				return err
			}
			ev, err := d.change(ctx, tx, m, c)
			if err != nil {
				return err
			}
			events = append(events, ev...)
			nChange++
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("apply statuses and changes on channel %d: %w", ch.ID, err)
	}
	d.publish(ctx, events)
	return nStatus, nChange, nil
}

// editMeta is a customer's latest edit of a message, kept in its meta
// under "edited"; reactions by address go under "reactions" and the time
// the customer withdrew it under "deleted_at".
type editMeta struct {
	Text string `json:"text"`
	At   int64  `json:"at"`
}

// change records a reaction, edit or deletion in m's meta, keeping the
// text as it was received: what the customer first wrote stays on record.
func (d *Desk) change(ctx context.Context, tx *store.Store, m *domain.Message, c channel.Change) ([]domain.Event, error) {
	meta := map[string]json.RawMessage{}
	if len(m.Meta) > 0 {
		if err := json.Unmarshal(m.Meta, &meta); err != nil {
			return nil, fmt.Errorf("meta of message %d: %w", m.ID, err)
		}
	}
	at := d.now()
	if !c.At.IsZero() {
		at = c.At.UnixMilli()
	}
	switch c.Kind {
	case channel.ChangeReaction:
		reactions := map[string]string{}
		json.Unmarshal(meta["reactions"], &reactions)
		if c.Emoji == "" {
			delete(reactions, c.From.String())
		} else {
			reactions[c.From.String()] = c.Emoji
		}
		if len(reactions) == 0 {
			delete(meta, "reactions")
		} else {
			meta["reactions"], _ = json.Marshal(reactions)
		}
	case channel.ChangeEdit:
		if len(c.Text) > MaxTextBytes {
			return nil, domain.Invalid("too_large", fmt.Sprintf("edited text is larger than %d bytes", MaxTextBytes))
		}
		meta["edited"], _ = json.Marshal(editMeta{Text: c.Text, At: at})
	case channel.ChangeDelete:
		meta["deleted_at"], _ = json.Marshal(at)
	default:
		return nil, domain.Invalid("invalid_change", fmt.Sprintf("unknown change %q", c.Kind))
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	if err := tx.SetMessageMeta(ctx, m.ID, raw); err != nil {
		return nil, err
	}
	m.Meta = raw
	t, err := tx.Ticket(ctx, m.TicketID)
	if err != nil {
		return nil, err
	}
	ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	return []domain.Event{with(ev, domain.EventMessageUpdated, nil, m)}, nil
}

// signal shows a passing signal, such as typing, to the agents who can see
// the conversation it concerns.
func (d *Desk) signal(ctx context.Context, ch *domain.Channel, s channel.Signal) error {
	if s.Kind != channel.SignalTyping {
		return nil
	}
	var t *domain.Ticket
	var err error
	if s.Thread != "" {
		t, err = d.store.TicketByThread(ctx, ch.ID, s.Thread)
	} else {
		var contactID int64
		if contactID, err = d.store.ContactIDByIdentity(ctx, s.From); err == nil {
			t, err = d.store.LatestTicketOnChannel(ctx, contactID, ch.ID)
		}
	}
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("typing on channel %d: %w", ch.ID, err)
	}
	d.events.Publish(domain.Event{Type: domain.EventContactTyping, TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID})
	return nil
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
	res, err := d.ingest(ctx, ch, dl.ContentType, dl.Payload, retryFetchBudget)
	if rerr := d.store.ResolveDeadLetter(context.WithoutCancel(ctx), id, err == nil, errText(err)); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	if err != nil {
		return nil, fmt.Errorf("retry dead letter %d: %w", id, err)
	}
	return res, nil
}

// deadLetterWaits are how long after its last try a dead letter is tried
// again on its own: a provider's media server or the database may be back.
// After the last, only an admin's retry helps.
var deadLetterWaits = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}

// RetryDeadLetters tries again the dead letters whose wait has passed and
// returns how many it resolved. Run it on one node at a time.
func (d *Desk) RetryDeadLetters(ctx context.Context) (int, error) {
	list, err := d.store.RetriableDeadLetters(ctx, len(deadLetterWaits)+1, 100)
	if err != nil {
		return 0, err
	}
	now := d.now()
	resolved := 0
	for _, dl := range list {
		if now < dl.UpdatedAt+deadLetterWaits[max(dl.Attempts, 1)-1].Milliseconds() {
			continue
		}
		if _, err := d.RetryDeadLetter(ctx, dl.ID); err != nil {
			if ctx.Err() != nil {
				return resolved, ctx.Err()
			}
			d.log.Warn("dead letter failed again", "dead_letter", dl.ID, "attempts", dl.Attempts+1, "err", err)
			continue
		}
		resolved++
		d.log.Info("dead letter processed on retry", "dead_letter", dl.ID, "attempts", dl.Attempts+1)
	}
	return resolved, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
