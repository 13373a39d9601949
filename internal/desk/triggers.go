package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// TaskTrigger is the kind of the task that carries a domain.Trigger.
const TaskTrigger = "trigger"

// MaxRuleDepth is how many rule actions may follow one another: a change
// made by a rule at this depth records no further trigger, so rules that
// set off each other stop.
const MaxRuleDepth = 3

// Watcher tells whether anything (a rule, a webhook) may react to a
// trigger, given what the transaction that made it knows; triggers nothing
// would react to are not recorded. It may answer yes when unsure, but
// never no when something would react.
type Watcher interface {
	Wants(t domain.Trigger, known Known) bool
}

// Known is what a change's transaction has at hand about a trigger; any
// of it may be nil.
type Known struct {
	Ticket  *domain.Ticket
	Message *domain.Message
	Contact *domain.Contact
}

type causeKey struct{}

type cause struct {
	rule  int64
	depth int
	once  string
}

// ErrDone is returned by a use case run with Once whose key was claimed
// before: the change was made already.
var ErrDone = errors.New("done before")

// Once returns a context in which the next change a use case commits is
// made at most once under key: the key is claimed in the change's own
// transaction, and a second attempt returns ErrDone and changes nothing.
// store.ActionKeyRef then tells the ticket the first attempt changed.
func Once(ctx context.Context, key string) context.Context {
	c := causeOf(ctx)
	c.once = key
	return context.WithValue(ctx, causeKey{}, c)
}

// ByRule returns a context for the changes a rule's action makes, at the
// depth of the trigger it acts on plus one.
func ByRule(ctx context.Context, ruleID int64, triggerDepth int) context.Context {
	return context.WithValue(ctx, causeKey{}, cause{rule: ruleID, depth: triggerDepth + 1})
}

func causeOf(ctx context.Context) cause {
	c, _ := ctx.Value(causeKey{}).(cause)
	return c
}

// triggerOf maps an event to the trigger it records, if any.
func triggerOf(e domain.Event) (domain.Trigger, bool) {
	t := domain.Trigger{TicketID: e.TicketID, MessageID: e.MessageID}
	if e.Ticket != nil {
		t.ContactID = e.Ticket.ContactID
	}
	switch e.Type {
	case domain.EventTicketCreated:
		t.Type = domain.TriggerTicketCreated
	case domain.EventTicketUpdated:
		t.Type = domain.TriggerTicketUpdated
	case domain.EventSLAWarning:
		t.Type = domain.TriggerSLAWarning
	case domain.EventSLABreached:
		t.Type = domain.TriggerSLABreached
	case domain.EventSurveyAnswered:
		t.Type = domain.TriggerSurveyAnswered
		if e.Survey != nil {
			t.SurveyID, t.ContactID = e.Survey.ID, e.Survey.ContactID
		}
	case domain.EventMessageCreated:
		m := e.Message
		if m == nil || m.Kind != domain.KindMessage {
			return t, false
		}
		t.MessageID = m.ID
		if m.Direction == domain.DirectionIn {
			t.Type = domain.TriggerMessageReceived
		} else {
			t.Type = domain.TriggerMessageSent
		}
	default:
		return t, false
	}
	return t, true
}

// record adds, in tx, a trigger task for each event something may react
// to, and claims the Once key of the change. Call it in every transaction
// that changes tickets or messages, with the events it made and the
// contact when it is at hand.
func (d *Desk) record(ctx context.Context, tx *store.Store, events []domain.Event, contact *domain.Contact) error {
	c := causeOf(ctx)
	if c.once != "" {
		var ref int64
		if len(events) > 0 {
			ref = events[0].TicketID
		}
		if ok, err := tx.ClaimActionKey(ctx, c.once, ref); err != nil {
			return err
		} else if !ok {
			return ErrDone
		}
	}
	if d.watcher == nil {
		return nil
	}
	type seenKey struct {
		typ             string
		ticket, message int64
	}
	seen := map[seenKey]bool{}
	tickets := map[int64]*domain.Ticket{}
	messages := map[int64]*domain.Message{} // a ticket's customer message in this change
	for _, e := range events {
		if e.Ticket != nil {
			tickets[e.TicketID] = e.Ticket
		}
		if m := e.Message; m != nil && m.Kind == domain.KindMessage && m.Direction == domain.DirectionIn {
			messages[e.TicketID] = m
		}
	}
	for _, e := range events {
		t, ok := triggerOf(e)
		// A change announced to two owners is one trigger.
		k := seenKey{t.Type, t.TicketID, t.MessageID}
		if !ok || seen[k] {
			continue
		}
		known := Known{Ticket: tickets[e.TicketID], Message: e.Message}
		if t.Type == domain.TriggerTicketCreated && messages[e.TicketID] != nil {
			// A new ticket's rules see the message that opened it.
			known.Message = messages[e.TicketID]
			t.MessageID = known.Message.ID
		}
		if contact != nil && known.Ticket != nil && known.Ticket.ContactID == contact.ID {
			known.Contact = contact
		}
		if !d.watcher.Wants(t, known) {
			continue
		}
		seen[k] = true
		if c.depth > MaxRuleDepth {
			d.log.Warn("rule actions go too deep; no further triggers", "rule", c.rule, "ticket", t.TicketID, "trigger", t.Type)
			return nil
		}
		t.Depth, t.RuleID, t.At = c.depth, c.rule, d.now()
		if err := d.AddTrigger(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// AddTrigger records t as a task in tx; the task worker is woken (see
// Config.TasksAdded) when the change is published.
func (d *Desk) AddTrigger(ctx context.Context, tx *store.Store, t domain.Trigger) error {
	payload, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, _, err := tx.AddTask(ctx, store.Task{Kind: TaskTrigger, Payload: payload}); err != nil {
		return fmt.Errorf("record %s trigger: %w", t.Type, err)
	}
	d.triggered.Store(true)
	return nil
}
