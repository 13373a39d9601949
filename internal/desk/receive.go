package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Limits on one inbound message.
const (
	MaxTextBytes       = 1 << 20
	MaxAttachments     = 50
	MaxAttachmentBytes = 25 << 20
)

// Received is the outcome of Receive.
type Received struct {
	Ticket    *domain.Ticket
	Message   *domain.Message
	Contact   *domain.Contact
	Duplicate bool // the external id was seen before; the ids are the first message's
	Created   bool // a new ticket was opened
	// Dropped is set for a ThreadOnly message that named no conversation;
	// nothing was stored and the other fields are nil.
	Dropped bool
	events  []domain.Event
}

type receiveReq struct {
	in     *channel.Inbound
	msg    *domain.Message // prepared fields, attachments already in the blob store
	result chan receiveResult
}

type receiveResult struct {
	r   *Received
	err error
}

// errLostRace means another transaction created the same identity or
// message first; the receive is undone and tried again.
var errLostRace = errors.New("lost a race with a concurrent receive")

// ErrClosed is returned by Receive once Close has begun.
var ErrClosed = errors.New("desk is shutting down")

// Receive is the one way in: it stores a customer message from any channel
// in one transaction — dropping duplicates by (channel, external id),
// recognising or creating the contact, finding or opening the ticket — and
// publishes events after commit. Concurrent calls share transactions
// (group commit); Receive returns only once its message is durable.
func (d *Desk) Receive(ctx context.Context, in *channel.Inbound) (*Received, error) {
	msg, err := d.prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	req := &receiveReq{in: in, msg: msg, result: make(chan receiveResult, 1)}
	// The read lock keeps Close from stopping the committer between the
	// check and the enqueue, so a queued request always gets an answer.
	d.closing.RLock()
	if d.closed {
		d.closing.RUnlock()
		return nil, ErrClosed
	}
	select {
	case d.receives <- req:
		d.closing.RUnlock()
	case <-ctx.Done():
		d.closing.RUnlock()
		return nil, ctx.Err()
	}
	// Once queued the message will be committed or fail; wait for the
	// outcome even if the caller gives up, so the answer is never a lie.
	res := <-req.result
	return res.r, res.err
}

// prepare validates in and writes its attachments and raw bytes to the
// blob store, outside the transaction (blobs are content-addressed, so an
// unused one is harmless).
func (d *Desk) prepare(ctx context.Context, in *channel.Inbound) (*domain.Message, error) {
	if in.ChannelID == 0 {
		return nil, domain.Invalid("invalid_inbound", "inbound message has no channel")
	}
	if err := cleanInbound(in); err != nil {
		return nil, err
	}
	if in.From.Value == "" && in.ContactID == 0 {
		return nil, domain.Invalid("invalid_inbound", "inbound message has no sender: give an e-mail address, phone number or id")
	}
	if in.Kind == "" {
		in.Kind = domain.KindMessage
	}
	if len(in.Text) > MaxTextBytes || len(in.HTML) > MaxTextBytes {
		return nil, domain.Invalid("too_large", fmt.Sprintf("message text is larger than %d bytes", MaxTextBytes))
	}
	if in.Kind == domain.KindMessage && strings.TrimSpace(in.Text) == "" && strings.TrimSpace(in.HTML) == "" && len(in.Attachments) == 0 {
		return nil, domain.Invalid("empty_message", "message has no text, HTML or attachments")
	}
	if len(in.ExternalID) > 255 || len(in.Thread) > 255 {
		return nil, domain.Invalid("invalid_inbound", "external_id and thread must be at most 255 characters")
	}
	if len(in.Attachments) > MaxAttachments {
		return nil, domain.Invalid("too_many_attachments", fmt.Sprintf("at most %d attachments per message", MaxAttachments))
	}
	if in.Public != nil {
		if in.Thread == "" {
			return nil, domain.Invalid("invalid_inbound", "a public post needs a thread key: the conversation it belongs to")
		}
		if err := in.Public.Validate(); err != nil {
			return nil, err
		}
	}
	m := &domain.Message{
		ChannelID:  in.ChannelID,
		Kind:       in.Kind,
		Direction:  domain.DirectionIn,
		AuthorType: domain.AuthorContact,
		Subject:    in.Subject,
		Text:       in.Text,
		HTML:       in.HTML,
		ExternalID: in.ExternalID,
		Meta:       in.Meta,
	}
	if in.Public != nil {
		p := *in.Public
		m.Public = &p
	}
	if in.From.Value != "" {
		m.Address = &in.From
	}
	if !in.ProviderAt.IsZero() {
		m.ProviderAt = in.ProviderAt.UnixMilli()
	}
	atts, err := d.storeAttachments(ctx, in.Attachments)
	if err != nil {
		return nil, err
	}
	m.Attachments = atts
	if len(in.Raw) > 0 {
		if m.RawSHA256, err = d.blobs.Put(ctx, in.Raw); err != nil {
			return nil, fmt.Errorf("keep raw message: %w", err)
		}
	}
	return m, nil
}

func (d *Desk) storeAttachments(ctx context.Context, in []channel.Attachment) ([]domain.Attachment, error) {
	out := make([]domain.Attachment, 0, len(in))
	for _, a := range in {
		if len(a.Data) > MaxAttachmentBytes {
			return nil, domain.Invalid("too_large", fmt.Sprintf("attachment %q is larger than %d bytes", a.Filename, MaxAttachmentBytes))
		}
		sha, err := d.blobs.Put(ctx, a.Data)
		if err != nil {
			return nil, fmt.Errorf("store attachment %q: %w", a.Filename, err)
		}
		name := strings.TrimSpace(a.Filename)
		if name == "" {
			name = "attachment"
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, domain.Attachment{Filename: name, ContentType: ct, Size: int64(len(a.Data)), SHA256: sha,
			ContentID: a.ContentID, Inline: a.Inline})
	}
	return out, nil
}

// commitLoop takes queued receives and commits them in batches until Close,
// then drains what is left.
func (d *Desk) commitLoop() {
	defer d.wg.Done()
	for {
		var first *receiveReq
		select {
		case first = <-d.receives:
		case <-d.stop:
			select {
			case first = <-d.receives:
			default:
				return
			}
		}
		batch := []*receiveReq{first}
	fill:
		for len(batch) < d.maxBatch {
			select {
			case r := <-d.receives:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		d.commitBatch(batch)
	}
}

// receiveAttempts is how often a message that lost to another node's
// transaction (a deadlock, the same external id stored first) is tried.
const receiveAttempts = 4

// commitBatch receives a batch in one transaction, each message in a
// savepoint so that one refused message does not undo the others. Rows
// are locked in one order on every node (by the sender's address), and a
// message that hits a deadlock or loses a race is tried again in a fresh
// transaction, no longer holding the locks of the messages before it.
func (d *Desk) commitBatch(batch []*receiveReq) {
	ctx := context.Background()
	results := make([]receiveResult, len(batch))
	pending := make([]int, len(batch))
	for i := range pending {
		pending[i] = i
	}
	slices.SortStableFunc(pending, func(a, b int) int {
		return strings.Compare(batch[a].in.From.String(), batch[b].in.From.String())
	})
	for attempt := 1; len(pending) > 0; attempt++ {
		last := attempt == receiveAttempts
		var again []int
		err := d.store.Tx(ctx, func(tx *store.Store) error {
			again = again[:0]
			// A sender whose message is put off has the rest of theirs put
			// off too, so that their messages keep their order.
			putOff := map[string]bool{}
			for _, i := range pending {
				from := batch[i].in.From.String()
				if putOff[from] {
					again = append(again, i)
					continue
				}
				var r *Received
				err := tx.Savepoint(ctx, func() error {
					var err error
					r, err = d.receiveOne(ctx, tx, batch[i])
					return err
				})
				if transient(err) && !last {
					again = append(again, i)
					putOff[from] = true
					continue
				}
				results[i] = receiveResult{r, err}
			}
			return nil
		})
		switch {
		case err == nil:
			pending = again
		case transient(err) && !last:
			// Nothing was committed: the whole rest goes again.
		default:
			for _, i := range pending {
				results[i] = receiveResult{nil, err}
			}
			pending = nil
		}
	}
	var events []domain.Event
	for i, req := range batch {
		if results[i].err != nil {
			results[i].err = fmt.Errorf("receive message %s: %w", req.in.ExternalID, results[i].err)
		} else {
			events = append(events, results[i].r.events...)
		}
	}
	// Publish before answering, so a client that acts on the answer finds
	// the events already on their way.
	d.publish(ctx, events)
	for i, req := range batch {
		req.result <- results[i]
	}
}

func (d *Desk) receiveOne(ctx context.Context, tx *store.Store, req *receiveReq) (*Received, error) {
	in := req.in
	if in.ExternalID != "" {
		if prev, err := tx.MessageByExternalID(ctx, in.ChannelID, in.ExternalID); err == nil {
			return d.duplicate(ctx, tx, prev)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	now := d.now()
	var ticket *domain.Ticket
	var contact *domain.Contact
	var created bool
	// A survey answer joins the solved ticket it answers and leaves it
	// solved.
	var answer *surveyReply
	if in.ThreadOnly {
		t, err := d.threadOf(ctx, tx, in)
		if err != nil || t == nil {
			return &Received{Dropped: true}, err
		}
		if contact, err = tx.Contact(ctx, t.ContactID); err != nil {
			return nil, err
		}
		ticket = t
	} else {
		team, err := d.channelTeam(ctx, tx, in.ChannelID)
		if err != nil {
			return nil, err
		}
		if contact, err = d.recognise(ctx, tx, in); err != nil {
			return nil, err
		}
		if in.Public == nil {
			if answer, err = d.surveyReply(ctx, tx, in, contact, now); err != nil {
				return nil, err
			}
		}
		if answer != nil {
			ticket = answer.ticket
		} else {
			if ticket, created, err = d.findTicket(ctx, tx, in, team, contact, now); err != nil {
				return nil, err
			}
		}
	}
	if created {
		if err := d.requireLanguage(ctx, tx, in, contact, ticket); err != nil {
			return nil, err
		}
	}
	m := *req.msg
	m.Attachments = append([]domain.Attachment(nil), req.msg.Attachments...)
	m.TicketID, m.AuthorID, m.CreatedAt = ticket.ID, contact.ID, now
	if in.ThreadOnly {
		m.AuthorType, m.AuthorID = domain.AuthorSystem, 0
	}
	inserted, err := tx.InsertMessage(ctx, &m)
	if err != nil {
		return nil, err
	}
	if !inserted {
		return nil, errLostRace // another node stored this external id first
	}
	if answer != nil {
		if err := d.thank(ctx, tx, answer, in, now); err != nil {
			return nil, err
		}
	}
	if in.Consent != channel.ConsentNone && !in.ThreadOnly {
		if err := d.consent(ctx, tx, in, contact); err != nil {
			return nil, err
		}
	}
	if !created && !in.Automatic && !in.ThreadOnly && answer == nil {
		if err := customerWaits(ctx, tx, ticket, now); err != nil {
			return nil, err
		}
	}
	ticket.UpdatedAt = now
	slaEvents, err := d.applySLA(ctx, tx, ticket, now)
	if err != nil {
		return nil, err
	}
	if err := tx.UpdateTicket(ctx, ticket); err != nil {
		return nil, err
	}
	r := &Received{Ticket: ticket, Message: &m, Contact: contact, Created: created}
	ev := domain.Event{TicketID: ticket.ID, TeamID: ticket.TeamID, AssigneeID: ticket.AssigneeID}
	if created {
		r.events = append(r.events, with(ev, domain.EventTicketCreated, ticket, nil))
	} else {
		r.events = append(r.events, with(ev, domain.EventTicketUpdated, ticket, nil))
	}
	r.events = append(r.events, with(ev, domain.EventMessageCreated, nil, &m))
	r.events = append(r.events, slaEvents...)
	if answer != nil {
		r.events = append(r.events, answer.events...)
	}
	if err := d.record(ctx, tx, r.events, contact); err != nil {
		return nil, err
	}
	return r, nil
}

// customerWaits moves a ticket as a customer's contact at at does: back to
// the agents' desk (a solved ticket counts as reopened), the customer
// waiting since at.
func customerWaits(ctx context.Context, tx *store.Store, t *domain.Ticket, at int64) error {
	next, _ := t.Status.Inbound()
	if t.Status == domain.StatusSolved {
		t.SolvedAt = 0
		if err := tx.CountReopen(ctx, t.ID); err != nil {
			return err
		}
	}
	t.Status = next
	if t.FirstCustomerAt == 0 {
		t.FirstCustomerAt = at
	}
	if t.LastCustomerAt < at {
		t.LastCustomerAt = at
	}
	return nil
}

// consent records the opt-out or opt-in a customer's message expresses for
// the channel's kind on their contact.
func (d *Desk) consent(ctx context.Context, tx *store.Store, in *channel.Inbound, c *domain.Contact) error {
	ch, err := tx.Channel(ctx, in.ChannelID)
	if err != nil {
		return err
	}
	out := in.Consent == channel.ConsentOut
	if err := tx.SetOptOut(ctx, c.ID, ch.Kind, out); err != nil {
		return err
	}
	c.OptOuts = slices.DeleteFunc(c.OptOuts, func(k string) bool { return k == ch.Kind })
	if out {
		c.OptOuts = append(c.OptOuts, ch.Kind)
	}
	return nil
}

// transient reports whether err may pass when tried again: a deadlock, a
// serialization failure, a busy database, or a race lost to another node.
func transient(err error) bool {
	return err != nil && (errors.Is(err, errLostRace) || store.IsRetryable(err))
}

func with(ev domain.Event, typ string, t *domain.Ticket, m *domain.Message) domain.Event {
	ev.Type, ev.Ticket, ev.Message = typ, t, m
	if m != nil {
		ev.MessageID = m.ID
	}
	return ev
}

func (d *Desk) duplicate(ctx context.Context, tx *store.Store, prev *domain.Message) (*Received, error) {
	t, err := tx.Ticket(ctx, prev.TicketID)
	if err != nil {
		return nil, err
	}
	c, err := tx.Contact(ctx, t.ContactID)
	if err != nil {
		return nil, err
	}
	return &Received{Ticket: t, Message: prev, Contact: c, Duplicate: true}, nil
}

// recognise finds the contact owning any of the message's identities, or
// creates one, and links the identities the contact does not have yet. A
// contact the channel names (ContactID) is taken as it is.
func (d *Desk) recognise(ctx context.Context, tx *store.Store, in *channel.Inbound) (*domain.Contact, error) {
	if in.ContactID != 0 {
		return tx.Contact(ctx, in.ContactID)
	}
	ids := append([]domain.Identity{in.From}, in.Also...)
	var contactID int64
	known := -1 // the identity the contact was found by needs no linking
	for i, id := range ids {
		cid, err := tx.ContactIDByIdentity(ctx, id)
		if err == nil {
			contactID, known = cid, i
			break
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	if contactID == 0 {
		c := &domain.Contact{Name: in.Name, Language: in.Language}
		if err := tx.CreateContact(ctx, c); err != nil {
			return nil, err
		}
		owner, err := tx.AddIdentity(ctx, c.ID, in.From)
		if err != nil {
			return nil, err
		}
		if owner != c.ID {
			return nil, errLostRace
		}
		contactID, known = c.ID, 0
	}
	for i, id := range ids {
		if i == known {
			continue
		}
		// An identity another contact already owns stays with that contact.
		if _, err := tx.AddIdentity(ctx, contactID, id); err != nil {
			return nil, err
		}
	}
	c, err := tx.Contact(ctx, contactID)
	if err != nil {
		return nil, err
	}
	if (c.Name == "" && in.Name != "") || (c.Language == "" && in.Language != "") {
		c.Name = orElse(c.Name, in.Name)
		c.Language = orElse(c.Language, in.Language)
		if err := tx.UpdateContact(ctx, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// threadOf returns the ticket the message names by the channel's thread
// key or by a message it replies to, or nil.
func (d *Desk) threadOf(ctx context.Context, tx *store.Store, in *channel.Inbound) (*domain.Ticket, error) {
	if in.Thread != "" {
		t, err := tx.TicketByThread(ctx, in.ChannelID, in.Thread)
		if !errors.Is(err, domain.ErrNotFound) {
			return t, err
		}
	}
	for _, ref := range in.ReplyTo {
		m, err := tx.MessageByExternalID(ctx, in.ChannelID, ref)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		// A reply joins the thread whoever sends it (a colleague in CC
		// answering); channels make their own message ids unguessable.
		return tx.Ticket(ctx, m.TicketID)
	}
	return nil, nil
}

// findTicket picks the ticket for an inbound message: the channel's
// explicit thread, a message it replies to, a ticket number the contact
// owns, the contact's latest ticket on the channel, or a new one. A closed
// ticket is never reopened; a follow-up linked to it is opened instead.
// A public post joins only a public ticket of its thread, a private
// message only a private ticket: what is said privately never answers
// in public.
func (d *Desk) findTicket(ctx context.Context, tx *store.Store, in *channel.Inbound, team int64, contact *domain.Contact, now int64) (*domain.Ticket, bool, error) {
	t, err := d.threadOf(ctx, tx, in)
	if err != nil {
		return nil, false, err
	}
	public := in.Public != nil
	if t != nil && t.Public != public {
		t = nil
	}
	found := func(tt *domain.Ticket, err error) error {
		if err == nil {
			t = tt
			return nil
		}
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	}
	if t == nil && in.TicketNumber != 0 && !public {
		if err := found(tx.TicketByNumber(ctx, in.TicketNumber)); err != nil {
			return nil, false, err
		}
		if t != nil && t.ContactID != contact.ID {
			t = nil
		}
	}
	if t == nil && !in.Standalone && !public {
		if err := found(tx.LatestTicketOnChannel(ctx, contact.ID, in.ChannelID)); err != nil {
			return nil, false, err
		}
	}
	var followUp int64
	if t != nil && t.Status == domain.StatusClosed {
		followUp, t = t.ID, nil
	}
	created := false
	if t == nil {
		t = &domain.Ticket{
			ContactID: contact.ID, Subject: subjectOf(in), Status: domain.StatusNew, Priority: domain.PriorityNormal,
			TeamID: team, ChannelID: in.ChannelID, FollowUpOf: followUp, CreatedAt: now, Public: public,
		}
		if !in.Automatic {
			t.FirstCustomerAt, t.LastCustomerAt = now, now
			// The FAQ bot talks in private only.
			if d.botActive != nil && !public {
				ch, err := tx.Channel(ctx, in.ChannelID)
				if err != nil {
					return nil, false, err
				}
				if d.botActive(ch, now) {
					t.BotState = domain.BotActive
				}
			}
		}
		if err := tx.CreateTicket(ctx, t); err != nil {
			return nil, false, err
		}
		created = true
	}
	if in.Thread != "" {
		if err := tx.SetThread(ctx, in.ChannelID, in.Thread, t.ID); err != nil {
			return nil, false, err
		}
	}
	return t, created, nil
}

// subjectOf is the message's subject, or the start of its text.
func subjectOf(in *channel.Inbound) string {
	s := strings.TrimSpace(in.Subject)
	if s == "" {
		s = strings.Join(strings.Fields(in.Text), " ")
	}
	if utf8.RuneCountInString(s) > 120 {
		r := []rune(s)
		s = string(r[:117]) + "…"
	}
	return s
}
