package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// ContactRef names the contact an external event is about, by any one of
// its addresses or its customer number; Name and Language fill in a
// contact the event creates.
type ContactRef struct {
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Number     string `json:"number,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Name       string `json:"name,omitempty"`
	Language   string `json:"language,omitempty"`
}

// EventInput is an event another system posts, such as order.placed.
type EventInput struct {
	Name    string         `json:"name"`
	Contact ContactRef     `json:"contact"`
	Data    map[string]any `json:"data"`
	// IdempotencyKey makes posting the same event again a no-op.
	IdempotencyKey string `json:"idempotency_key"`
	// CreateContact (default true) creates a contact the event's address
	// does not find; false refuses the event instead.
	CreateContact *bool `json:"create_contact,omitempty"`
}

// MaxEventData caps an event's data, encoded.
const MaxEventData = 64 << 10

var eventName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// PostEvent stores an event for its contact (found, or created) and records
// the trigger that runs the rules for it, in one transaction. An event whose
// idempotency key was seen before is returned as it was stored, with
// duplicate true, and sets nothing off again.
func (e *Engine) PostEvent(ctx context.Context, in EventInput, source, region string) (ev *domain.ContactEvent, duplicate bool, err error) {
	if !eventName.MatchString(in.Name) {
		return nil, false, domain.Invalid("invalid_name", "an event name is lower-case letters, digits, dots, dashes and underscores, such as order.placed")
	}
	if len(in.IdempotencyKey) > 200 {
		return nil, false, domain.Invalid("invalid_idempotency_key", "an idempotency key is at most 200 characters")
	}
	if in.Data == nil {
		in.Data = map[string]any{}
	}
	if b, err := json.Marshal(in.Data); err != nil || len(b) > MaxEventData {
		return nil, false, domain.Invalid("too_large", fmt.Sprintf("event data is at most %d KB of JSON", MaxEventData>>10))
	}
	ids, err := in.Contact.identities(region)
	if err != nil {
		return nil, false, err
	}
	if len(ids) == 0 && in.Contact.Number == "" {
		return nil, false, domain.Invalid("no_contact", "name the contact by email, phone, number or external_id")
	}
	create := in.CreateContact == nil || *in.CreateContact
	ev = &domain.ContactEvent{Name: in.Name, Data: in.Data, Source: source}
	// A contact created at the same time by another request makes the
	// first attempt lose; the second finds that contact.
	for attempt := 0; ; attempt++ {
		err = e.store.Tx(ctx, func(tx *store.Store) error {
			c, err := e.contactFor(ctx, tx, in.Contact, ids, create)
			if err != nil {
				return err
			}
			ev.ContactID = c.ID
			added, err := tx.AddContactEvent(ctx, ev, in.IdempotencyKey)
			if err != nil || !added {
				duplicate = !added
				return err
			}
			return e.desk.AddTrigger(ctx, tx, domain.Trigger{Type: domain.TriggerEvent, EventID: ev.ID, Name: ev.Name,
				ContactID: c.ID, At: ev.CreatedAt})
		})
		if !errors.Is(err, errContactRace) || attempt > 0 {
			break
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("post event %s: %w", in.Name, err)
	}
	if !duplicate && e.tasksAdded != nil {
		e.tasksAdded()
	}
	return ev, duplicate, nil
}

var errContactRace = errors.New("the contact was created meanwhile")

func (r ContactRef) identities(region string) ([]domain.Identity, error) {
	var ids []domain.Identity
	if r.Email != "" {
		v, err := domain.NormalizeEmail(r.Email)
		if err != nil {
			return nil, domain.Invalid("invalid_email", fmt.Sprintf("%q is not an e-mail address", r.Email))
		}
		ids = append(ids, domain.Identity{Kind: domain.IdentityEmail, Value: v})
	}
	if r.Phone != "" {
		v, err := domain.NormalizePhone(r.Phone, region)
		if err != nil {
			return nil, domain.Invalid("invalid_phone", fmt.Sprintf("%q is not a phone number", r.Phone))
		}
		ids = append(ids, domain.Identity{Kind: domain.IdentityPhone, Value: v})
	}
	if v := strings.TrimSpace(r.ExternalID); v != "" {
		ids = append(ids, domain.Identity{Kind: domain.IdentityExternal, Value: v})
	}
	return ids, nil
}

// contactFor finds the contact by number or by the first known address,
// or creates it with every address.
func (e *Engine) contactFor(ctx context.Context, tx *store.Store, ref ContactRef, ids []domain.Identity, create bool) (*domain.Contact, error) {
	if ref.Number != "" {
		c, err := tx.ContactByNumber(ctx, ref.Number)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, domain.Invalid("unknown_contact", fmt.Sprintf("no contact has customer number %s", ref.Number))
		}
		return c, err
	}
	var id int64
	for _, ident := range ids {
		cid, err := tx.ContactIDByIdentity(ctx, ident)
		if err == nil {
			id = cid
			break
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	if id != 0 {
		// The event's other addresses are not linked: nobody confirmed
		// they belong to this contact.
		return tx.Contact(ctx, id)
	}
	if !create {
		return nil, domain.Invalid("unknown_contact", "no contact has these addresses, and create_contact is false")
	}
	c := &domain.Contact{Name: ref.Name, Language: ref.Language}
	if err := tx.CreateContact(ctx, c); err != nil {
		return nil, err
	}
	for _, ident := range ids {
		owner, err := tx.AddIdentity(ctx, c.ID, ident)
		if err != nil {
			return nil, err
		}
		if owner != c.ID {
			return nil, errContactRace
		}
	}
	return tx.Contact(ctx, c.ID)
}
