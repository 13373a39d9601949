package desk

import (
	"context"
	"encoding/json"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Timeline events carry, beside their English text for API users, a meta
// {"event": name, ...} with the plain values, so the agent app can show
// them in the agent's language with its own date and duration format.
// SLA warnings and breaches carry the names of their events
// (domain.EventSLAWarning, domain.EventSLABreached) with target and due
// (Unix ms).
const (
	EventTicketChanged   = "ticket.changed"   // changes: []Change
	EventRoutingAssigned = "routing.assigned" // agent, agent_id, waited_ms, reason
	EventRoutingReturned = "routing.returned" // reason
	EventContactsMerged  = "contacts.merged"  // from, into (customer numbers)
	EventTicketOpened    = "ticket.opened"    // reason: opened without a customer message
	EventRuleRan         = "rule.ran"         // rule, rule_id, version, actions, error
)

// Change is one field of a ticket an agent or rule changed. From and To
// are the plain values: a status, a priority, a team id, an agent's name,
// a list of tags or skills, a bot state; absent means none.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from,omitempty"`
	To    any    `json:"to,omitempty"`
}

// eventMeta encodes a timeline event's meta: the event name and its values.
func eventMeta(event string, values map[string]any) json.RawMessage {
	m := map[string]any{"event": event}
	for k, v := range values {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode timeline event %s: %v", event, err)) // only plain values go in
	}
	return b
}

// timelineEvent stores an event entry on t's timeline, by the agent
// actorID (0: by Loket itself), with name and values as its meta, and
// returns the event that announces it.
func timelineEvent(ctx context.Context, tx *store.Store, t *domain.Ticket, actorID int64, text, name string, values map[string]any, at int64) (domain.Event, error) {
	m := &domain.Message{TicketID: t.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorSystem, Text: text,
		Meta: eventMeta(name, values), CreatedAt: at}
	if actorID != 0 {
		m.AuthorType, m.AuthorID = domain.AuthorAgent, actorID
	}
	if _, err := tx.InsertMessage(ctx, m); err != nil {
		return domain.Event{}, err
	}
	return with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageCreated, nil, m), nil
}
