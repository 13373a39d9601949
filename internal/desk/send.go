package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	// Template sends an approved template of the channel (see
	// channel.Templater) instead of free text, such as outside the
	// channel's send window; the text becomes the template filled in.
	Template *channel.TemplateRef
	// SendAt schedules a reply for a later time (Unix ms); zero or a time
	// already past sends it now.
	SendAt int64
	// Approval holds the reply until a supervisor approves it (see
	// Approve): a second pair of eyes before it goes out. A public reply
	// waits for approval whatever this says, unless its channel turned
	// that off.
	Approval bool
	// Checked: the agent looked at the personal data a public reply seems
	// to hold and sends it anyway.
	Checked bool
	// PrivateReplyTo answers a customer's public post (its provider id)
	// privately, to To, the post's author (Capabilities.PrivateReplies).
	PrivateReplyTo string
}

// MaxSchedule is how far ahead a reply can be scheduled.
const MaxSchedule = 366 * 24 * time.Hour

// Send stores a reply with status queued and a durable outbox job in one
// transaction, or an internal note; the outbox delivers the reply. A crash
// after Send returns loses nothing.
func (d *Desk) Send(ctx context.Context, out *Outgoing) (*domain.Message, error) {
	if out.Template != nil && !out.Note {
		if err := d.fillTemplate(ctx, out); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.HTML) == "" && len(out.Attachments) == 0 {
		return nil, domain.Invalid("empty_message", "write some text or attach a file")
	}
	if len(out.Text) > MaxTextBytes || len(out.HTML) > MaxTextBytes {
		return nil, domain.Invalid("too_large", fmt.Sprintf("message text is larger than %d bytes", MaxTextBytes))
	}
	if len(out.Attachments) > MaxAttachments {
		return nil, domain.Invalid("too_many_attachments", fmt.Sprintf("at most %d attachments per message", MaxAttachments))
	}
	if out.SendAt <= d.now() {
		out.SendAt = 0
	} else if out.Note {
		return nil, domain.Invalid("invalid_send_at", "notes are added at once; only replies can be scheduled")
	} else if out.SendAt > d.now()+MaxSchedule.Milliseconds() {
		return nil, domain.Invalid("invalid_send_at", fmt.Sprintf("a reply can be scheduled at most %d days ahead", int(MaxSchedule.Hours()/24)))
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
		if !out.Note && !out.Approval {
			if err := tx.EnqueueAt(ctx, m.ID, m.ChannelID, MaxAttempts, max(now, out.SendAt)); err != nil {
				return err
			}
			// Only a person's reply answers the customer for the SLA; the
			// bot's, automatic and scheduled ones do not.
			if out.AuthorType == domain.AuthorAgent && out.SendAt == 0 {
				if t.FirstResponseAt == 0 {
					t.FirstResponseAt = now
				} else if t.LastCustomerAt > t.LastAgentAt {
					if err := tx.RecordNextResponse(ctx, store.NextResponse{TicketID: t.ID, CustomerAt: t.LastCustomerAt, AgentAt: now}); err != nil {
						return err
					}
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
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("send on ticket %d: %w", out.TicketID, err)
	}
	d.publish(ctx, events)
	if !out.Note && !out.Approval {
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
	if out.SendAt > 0 {
		m.DeliveryStatus, m.SendAt = domain.DeliveryScheduled, out.SendAt
	}
	if out.Approval {
		m.DeliveryStatus = domain.DeliveryAwaitingApproval
	}
	caps := d.channels.Capabilities(ch.Kind)
	if caps.NoReplies {
		return domain.Invalid("no_replies", fmt.Sprintf("channel %q carries no messages (calls, visits); answer by another channel (channel_id)", ch.Name))
	}
	public := publicReply(t, ch, caps)
	if public {
		if err := personalData(out); err != nil {
			return err
		}
		if approvalOn(ch) {
			out.Approval, m.DeliveryStatus = true, domain.DeliveryAwaitingApproval
		}
	}
	c, err := tx.Contact(ctx, t.ContactID)
	if err != nil {
		return err
	}
	if slices.Contains(c.OptOuts, ch.Kind) {
		return domain.Invalid("opted_out", fmt.Sprintf("the customer asked not to be messaged by %s; answer on another channel", ch.Kind))
	}
	if out.PrivateReplyTo != "" {
		if !caps.PrivateReplies {
			return domain.Invalid("private_replies_unsupported", fmt.Sprintf("%s channels cannot answer a public post privately", ch.Kind))
		}
		if out.To == nil {
			return domain.Invalid("no_address", "a private reply needs the public post's author")
		}
		m.Address = out.To
		return nil
	}
	// The send window is a private conversation's: answers to a public
	// post are the site's own rules (such as a private reply within days).
	if out.Template == nil && caps.SendWindowSeconds > 0 && !public {
		last, err := tx.LastInboundAt(ctx, c.ID, ch.ID)
		if err != nil {
			return err
		}
		if !channel.WindowOpen(caps.SendWindowSeconds, last, msTime(max(d.now(), out.SendAt))) {
			return domain.Invalid("outside_window", fmt.Sprintf("%s allows free text only within %s of the customer's last message on %q; send an approved template instead",
				ch.Kind, windowText(caps.SendWindowSeconds), ch.Name))
		}
	}
	if m.Address, err = d.recipient(ctx, tx, t, ch, c, out.To, caps); err != nil {
		return err
	}
	return nil
}

// recipient is whom a reply on ch goes to: the given address, else the one
// the customer last wrote from on ch, else the contact's first address of a
// kind the channel reaches. A given address that belongs to another contact
// who opted out of the kind is refused too.
func (d *Desk) recipient(ctx context.Context, tx *store.Store, t *domain.Ticket, ch *domain.Channel, c *domain.Contact, to *domain.Identity, caps channel.Capabilities) (*domain.Identity, error) {
	reaches := func(id domain.Identity) bool {
		return len(caps.Identities) == 0 || slices.Contains(caps.Identities, id.Kind)
	}
	if to != nil {
		if !reaches(*to) {
			return nil, domain.Invalid("unreachable_address", fmt.Sprintf("%s channels cannot send to a %s address", ch.Kind, to.Kind))
		}
		owner, err := tx.ContactIDByIdentity(ctx, *to)
		if err == nil && owner != c.ID {
			var other *domain.Contact
			if other, err = tx.Contact(ctx, owner); err == nil && slices.Contains(other.OptOuts, ch.Kind) {
				return nil, domain.Invalid("opted_out", fmt.Sprintf("the owner of %s asked not to be messaged by %s", to.Value, ch.Kind))
			}
		}
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		return to, nil
	}
	// The address the customer wrote from on this channel: on this
	// ticket, else on any of theirs (a ticket that came by e-mail answered
	// on WhatsApp goes to the number they use there).
	addr, err := tx.LatestInboundAddress(ctx, t.ID, ch.ID)
	if errors.Is(err, domain.ErrNotFound) {
		addr, err = tx.LatestContactAddress(ctx, c.ID, ch.ID)
	}
	if err == nil && reaches(*addr) {
		return addr, nil
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	for i := range c.Identities {
		if reaches(c.Identities[i]) {
			return &c.Identities[i], nil
		}
	}
	if len(caps.Identities) == 0 {
		return nil, nil
	}
	return nil, domain.Invalid("no_address", fmt.Sprintf("the customer has no %s address that channel %q can reach", kindsText(caps.Identities), ch.Name))
}

func kindsText(kinds []domain.IdentityKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}

// windowText says a send window in hours, or minutes below one.
func windowText(seconds int64) string {
	if seconds >= 3600 && seconds%3600 == 0 {
		return fmt.Sprintf("%d hours", seconds/3600)
	}
	return fmt.Sprintf("%d minutes", seconds/60)
}

// fillTemplate checks the template a reply names against the channel's
// approved ones and makes the reply's text the template filled in.
func (d *Desk) fillTemplate(ctx context.Context, out *Outgoing) error {
	chID := out.ChannelID
	if chID == 0 {
		t, err := d.store.Ticket(ctx, out.TicketID)
		if err != nil {
			return fmt.Errorf("send on ticket %d: %w", out.TicketID, err)
		}
		chID = t.ChannelID
	}
	ch, err := d.store.Channel(ctx, chID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Invalid("unknown_channel", fmt.Sprintf("channel %d does not exist", chID))
	} else if err != nil {
		return err
	}
	a, err := d.channels.Adapter(ch.Kind)
	if err != nil {
		return err
	}
	tp, ok := a.(channel.Templater)
	if !ok || !d.channels.Capabilities(ch.Kind).Templates {
		return domain.Invalid("templates_unsupported", fmt.Sprintf("%s channels do not send templates", ch.Kind))
	}
	list, err := tp.Templates(ctx, ch)
	if err != nil {
		return fmt.Errorf("templates of channel %d: %w", ch.ID, err)
	}
	ref := out.Template
	i := slices.IndexFunc(list, func(t channel.Template) bool { return t.Name == ref.Name && t.Language == ref.Language })
	if i < 0 {
		return domain.Invalid("unknown_template", fmt.Sprintf("channel %q has no approved template %q in language %q", ch.Name, ref.Name, ref.Language))
	}
	if len(ref.Params) != list[i].Params {
		return domain.Invalid("invalid_template", fmt.Sprintf("template %q takes %d parameters, got %d", ref.Name, list[i].Params, len(ref.Params)))
	}
	for j, p := range ref.Params {
		if strings.TrimSpace(p) == "" {
			return domain.Invalid("invalid_template", fmt.Sprintf("parameter %d of template %q is empty", j+1, ref.Name))
		}
	}
	out.Text, out.HTML = channel.FillTemplate(list[i].Body, ref.Params), ""
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

// CancelScheduled stops a scheduled reply before it goes out; it stays on
// the timeline as cancelled.
func (d *Desk) CancelScheduled(ctx context.Context, messageID int64) (*domain.Message, error) {
	var m *domain.Message
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if m, err = tx.Message(ctx, messageID); err != nil {
			return err
		}
		if m.DeliveryStatus != domain.DeliveryScheduled {
			return domain.Invalid("not_scheduled", "only a scheduled reply can be cancelled")
		}
		if ok, err := tx.CancelJob(ctx, m.ID); err != nil {
			return err
		} else if !ok {
			return domain.Invalid("already_sending", "the reply is being sent right now")
		}
		return d.setDelivery(ctx, tx, m, domain.DeliveryCancelled, "", "", &events)
	})
	if err != nil {
		return nil, fmt.Errorf("cancel scheduled message %d: %w", messageID, err)
	}
	d.publish(ctx, events)
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
	// The event's copy is newer than what the sender was answered (a
	// letter's PDF may be made before the reply's POST is answered), so
	// clients keep it.
	m.DeliveryStatus, m.DeliveryError, m.UpdatedAt = status, reason, store.Now()
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
	if len(out.Meta) == 0 && len(cc) == 0 && out.Template == nil && out.PrivateReplyTo == "" {
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
	if out.Template != nil && !out.Note {
		m["template"] = out.Template
	}
	if out.PrivateReplyTo != "" && !out.Note {
		m["private_reply_to"] = out.PrivateReplyTo
	}
	b, err := json.Marshal(m)
	return b, err
}
