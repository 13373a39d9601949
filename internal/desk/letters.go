package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/letter"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Letter is a paper letter an agent registers: who wrote it (a ticket's
// contact, a contact, or a contact found or made by name and address), its
// scan and what it is about.
type Letter struct {
	ChannelID int64 // a channel of kind letter
	// TicketID adds the letter to that ticket, from its contact.
	TicketID int64
	// ContactID opens a new ticket for that contact.
	ContactID int64
	// Without a ticket or contact, the contact is found by Email or
	// Phone, or made from Name, SenderAddress and Language.
	Name, Email, Phone, Language string
	// SenderAddress is the postal address on the letter; it becomes the
	// contact's when the contact has none.
	SenderAddress string
	// ReceivedOn is the day the letter arrived; today when zero.
	ReceivedOn time.Time
	Summary    string
	Scan       channel.Attachment
	AgentID    int64
}

// letterMeta is what a letter entry's meta holds under "letter".
type letterMeta struct {
	ReceivedOn    string `json:"received_on"`
	SenderAddress string `json:"sender_address,omitempty"`
	Summary       string `json:"summary,omitempty"`
	RegisteredBy  int64  `json:"registered_by,omitempty"`
	letter.Extracted
}

// RegisterLetter puts a paper letter on a ticket's timeline as an inbound
// letter entry through Receive, so it counts as the customer's contact
// like any message: it reopens the ticket and runs the SLA clocks and
// rules. Its scan is attached and its text, read from the scan where the
// tools allow, follows the summary in the entry's text, so that search
// finds it.
func (d *Desk) RegisterLetter(ctx context.Context, l *Letter) (*Received, error) {
	ch, err := d.store.Channel(ctx, l.ChannelID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && ch.Kind != letter.Kind) {
		return nil, domain.Invalid("invalid_channel", fmt.Sprintf("channel %d is not a letter channel", l.ChannelID))
	} else if err != nil {
		return nil, fmt.Errorf("register letter: %w", err)
	}
	if !ch.Enabled {
		return nil, domain.Invalid("channel_disabled", fmt.Sprintf("channel %q is disabled", ch.Name))
	}
	if len(l.Scan.Data) == 0 {
		return nil, domain.Invalid("missing_scan", "attach the letter's scan: a PDF, PNG or JPEG file")
	}
	scanType := letter.ScanType(l.Scan.Data)
	if scanType == "" {
		return nil, domain.Invalid("unsupported_scan", "the scan must be a PDF, PNG or JPEG file")
	}
	l.Scan.ContentType, l.Scan.Filename = scanType, domain.SafeFilename(l.Scan.Filename)
	now := msTime(d.now())
	if l.ReceivedOn.IsZero() {
		l.ReceivedOn = now
	}
	if l.ReceivedOn.After(now.Add(24 * time.Hour)) {
		return nil, domain.Invalid("invalid_received_on", "a letter cannot be received in the future")
	}
	if l.SenderAddress, err = domain.PostalAddress(l.SenderAddress); err != nil {
		return nil, err
	}
	l.Summary = strings.TrimSpace(domain.CleanText(l.Summary))
	contact, ticketNumber, err := d.letterSender(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("register letter: %w", err)
	}
	text := letter.Extract(ctx, l.Scan.Data)
	meta, err := json.Marshal(map[string]letterMeta{"letter": {
		ReceivedOn: l.ReceivedOn.Format(time.DateOnly), SenderAddress: l.SenderAddress, Summary: l.Summary,
		RegisteredBy: l.AgentID, Extracted: text,
	}})
	if err != nil {
		return nil, fmt.Errorf("register letter: %w", err)
	}
	subject := l.Summary
	if subject == "" {
		subject = "Letter of " + l.ReceivedOn.Format(time.DateOnly)
	}
	subject, _, _ = strings.Cut(subject, "\n")
	in := &channel.Inbound{
		ChannelID: ch.ID, ContactID: contact, Kind: domain.KindLetter,
		Subject: subject, Text: strings.TrimSpace(l.Summary + "\n\n" + domain.CleanText(text.Text)),
		TicketNumber: ticketNumber, Standalone: true,
		Attachments: []channel.Attachment{l.Scan}, ProviderAt: l.ReceivedOn, Meta: meta,
	}
	if len(in.Text) > MaxTextBytes {
		in.Text = domain.Truncate(in.Text, MaxTextBytes)
	}
	r, err := d.Receive(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("register letter for contact %d: %w", contact, err)
	}
	return r, nil
}

// letterSender finds the contact who wrote the letter, making it when
// needed, and the ticket number the letter joins (0: a new ticket). The
// sender address fills the contact's postal address when it has none.
func (d *Desk) letterSender(ctx context.Context, l *Letter) (contactID, ticketNumber int64, err error) {
	var ids []domain.Identity
	for _, v := range []struct {
		kind  domain.IdentityKind
		value string
	}{{domain.IdentityEmail, l.Email}, {domain.IdentityPhone, l.Phone}} {
		if strings.TrimSpace(v.value) == "" {
			continue
		}
		id, err := domain.NewIdentity(v.kind, v.value, d.region)
		if err != nil {
			return 0, 0, err
		}
		ids = append(ids, id)
	}
	name := strings.TrimSpace(l.Name)
	if err := domain.CheckLength("name", name, domain.MaxNameBytes); err != nil {
		return 0, 0, err
	}
	err = d.store.Tx(ctx, func(tx *store.Store) error {
		var c *domain.Contact
		var err error
		switch {
		case l.TicketID != 0:
			t, err := tx.Ticket(ctx, l.TicketID)
			if err != nil {
				return err
			}
			ticketNumber = t.Number
			c, err = tx.Contact(ctx, t.ContactID)
			if err != nil {
				return err
			}
		case l.ContactID != 0:
			if c, err = tx.Contact(ctx, l.ContactID); err != nil {
				return err
			}
		default:
			if c, err = d.findOrMakeSender(ctx, tx, l, name, ids); err != nil {
				return err
			}
		}
		if c.MergedInto != 0 {
			if c, err = tx.Contact(ctx, c.MergedInto); err != nil {
				return err
			}
		}
		contactID = c.ID
		if c.Address == "" && l.SenderAddress != "" {
			c.Address = l.SenderAddress
			return tx.UpdateContact(ctx, c)
		}
		return nil
	})
	return contactID, ticketNumber, err
}

// findOrMakeSender is the contact owning one of ids, or a new one made
// from the letter's sender.
func (d *Desk) findOrMakeSender(ctx context.Context, tx *store.Store, l *Letter, name string, ids []domain.Identity) (*domain.Contact, error) {
	for _, id := range ids {
		cid, err := tx.ContactIDByIdentity(ctx, id)
		if err == nil {
			return tx.Contact(ctx, cid)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	if name == "" || l.SenderAddress == "" {
		return nil, domain.Invalid("missing_sender", "name the letter's writer: a ticket_id, a contact_id, or a name and postal address")
	}
	c := &domain.Contact{Name: name, Address: l.SenderAddress, Language: strings.ToLower(strings.TrimSpace(l.Language))}
	if err := domain.CheckLength("language", c.Language, domain.MaxLanguageBytes); err != nil {
		return nil, err
	}
	if err := tx.CreateContact(ctx, c); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := tx.AddIdentity(ctx, c.ID, id); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ConfirmSent records that a person did the last step of delivering a
// reply on a manual channel (Capabilities.Manual), such as posting a
// printed letter: the queued message becomes sent. Confirming it again
// changes nothing.
func (d *Desk) ConfirmSent(ctx context.Context, messageID int64) (*domain.Message, error) {
	m, err := d.store.Message(ctx, messageID)
	if err != nil {
		return nil, fmt.Errorf("confirm message %d sent: %w", messageID, err)
	}
	if m.Direction != domain.DirectionOut || m.ChannelID == 0 {
		return nil, domain.Invalid("not_a_reply", fmt.Sprintf("message %d is not a reply to the customer", messageID))
	}
	ch, err := d.store.Channel(ctx, m.ChannelID)
	if err != nil {
		return nil, fmt.Errorf("confirm message %d sent: %w", messageID, err)
	}
	if !d.channels.Capabilities(ch.Kind).Manual {
		return nil, domain.Invalid("not_manual", fmt.Sprintf("channel %q delivers by itself; there is nothing to confirm", ch.Name))
	}
	switch m.DeliveryStatus {
	case domain.DeliverySent, domain.DeliveryDelivered, domain.DeliveryRead:
		return m, nil
	case domain.DeliveryQueued:
		if m.ExternalID != "" {
			break
		}
		fallthrough
	default:
		return nil, domain.Invalid("not_ready", fmt.Sprintf("message %d is %s, not prepared to go out; wait until it is printed, or retry it when it failed",
			messageID, orElse(string(m.DeliveryStatus), "not queued")))
	}
	if err := d.UpdateDelivery(ctx, m.ChannelID, m.ExternalID, domain.DeliverySent, ""); err != nil {
		return nil, fmt.Errorf("confirm message %d sent: %w", messageID, err)
	}
	return d.store.Message(ctx, messageID)
}
