package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// payload is the body of a delivery (docs/webhooks.md).
type payload struct {
	// ID is the trigger's: the same for every webhook that receives the
	// event and for every redelivery, so receivers deduplicate on it.
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt int64  `json:"created_at"` // Unix ms
	Data      data   `json:"data"`
}

// data holds what the event is about, as the API shows it; what the
// trigger does not name, or what no longer exists, is left out.
type data struct {
	Ticket  *domain.Ticket       `json:"ticket,omitempty"`
	Message *domain.Message      `json:"message,omitempty"`
	Contact *domain.Contact      `json:"contact,omitempty"`
	Survey  *domain.Survey       `json:"survey,omitempty"`
	Event   *domain.ContactEvent `json:"event,omitempty"`
}

// Fanout queues a delivery of trigger t, recorded as task triggerTaskID,
// to every active webhook that subscribes to its type: the delivery rows
// and their tasks in one transaction. The automation engine calls it for
// every trigger Watches asked for, and again when the trigger's task is
// run again; a webhook that has the trigger already gets nothing more.
func (s *Service) Fanout(ctx context.Context, triggerTaskID int64, t domain.Trigger) error {
	hooks, err := s.store.Webhooks(ctx)
	if err != nil {
		return fmt.Errorf("fan out %s trigger %d: %w", t.Type, triggerTaskID, err)
	}
	var targets []*domain.Webhook
	for _, w := range hooks {
		if w.Active && w.Subscribes(t.Type) {
			targets = append(targets, w)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	body, err := s.payload(ctx, triggerTaskID, t)
	if err != nil {
		return fmt.Errorf("fan out %s trigger %d: %w", t.Type, triggerTaskID, err)
	}
	queued := 0
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		for _, w := range targets {
			d := &domain.WebhookDelivery{WebhookID: w.ID, TriggerID: triggerTaskID, EventType: t.Type, Payload: body}
			err := tx.Savepoint(ctx, func() error {
				added, err := enqueue(ctx, tx, d)
				if added {
					queued++
				}
				return err
			})
			if errors.Is(err, domain.ErrNotFound) {
				continue // removed since it was read
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fan out %s trigger %d: %w", t.Type, triggerTaskID, err)
	}
	if queued > 0 {
		s.wake()
	}
	return nil
}

// payload builds the body of trigger t's deliveries from the store.
func (s *Service) payload(ctx context.Context, triggerTaskID int64, t domain.Trigger) ([]byte, error) {
	p := payload{ID: strconv.FormatInt(triggerTaskID, 10), Type: t.Type, CreatedAt: t.At}
	if p.CreatedAt == 0 {
		p.CreatedAt = s.now().UnixMilli()
	}
	contactID := t.ContactID
	var err error
	if t.TicketID != 0 {
		if p.Data.Ticket, err = gone(s.store.Ticket(ctx, t.TicketID)); err != nil {
			return nil, err
		}
		if p.Data.Ticket != nil && contactID == 0 {
			contactID = p.Data.Ticket.ContactID
		}
	}
	if t.MessageID != 0 {
		if p.Data.Message, err = gone(s.store.Message(ctx, t.MessageID)); err != nil {
			return nil, err
		}
	}
	if t.SurveyID != 0 {
		if p.Data.Survey, err = gone(s.store.Survey(ctx, t.SurveyID)); err != nil {
			return nil, err
		}
	}
	if t.EventID != 0 {
		if p.Data.Event, err = gone(s.store.ContactEvent(ctx, t.EventID)); err != nil {
			return nil, err
		}
		if p.Data.Event != nil && contactID == 0 {
			contactID = p.Data.Event.ContactID
		}
	}
	if contactID != 0 {
		if p.Data.Contact, err = gone(s.store.Contact(ctx, contactID)); err != nil {
			return nil, err
		}
	}
	return json.Marshal(p)
}

// gone turns "not found" into nothing: a payload leaves out what was
// deleted or merged away since the event.
func gone[T any](v *T, err error) (*T, error) {
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	return v, err
}
