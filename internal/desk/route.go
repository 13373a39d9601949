package desk

import (
	"context"
	"errors"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// ErrStaleDecision means a routing decision no longer fits the ticket: it
// was assigned, solved or moved meanwhile. The router re-reads the ticket.
var ErrStaleDecision = errors.New("routing decision no longer applies")

// Route applies a routing decision: it gives an unassigned ticket to an
// agent (agentID not 0) or returns an assigned ticket to its team's queue
// (agentID 0), and records the reason on the timeline.
func (d *Desk) Route(ctx context.Context, ticketID, agentID int64, reason string) (*domain.Ticket, error) {
	var t *domain.Ticket
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if t, err = tx.Ticket(ctx, ticketID); err != nil {
			return err
		}
		routable := (t.Status == domain.StatusNew || t.Status == domain.StatusOpen) && t.TeamID != 0 && t.BotState != domain.BotActive
		if !routable || (agentID != 0) != (t.AssigneeID == 0) {
			return ErrStaleDecision
		}
		before := *t
		text := "Returned to the queue: " + reason
		if agentID != 0 {
			a, err := tx.Agent(ctx, agentID)
			if errors.Is(err, domain.ErrNotFound) {
				return ErrStaleDecision
			} else if err != nil {
				return err
			}
			if a.Disabled {
				return ErrStaleDecision
			}
			text = "Assigned to " + a.Name + " by routing: " + reason
		}
		now := d.now()
		t.AssigneeID, t.UpdatedAt = agentID, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		ev := &domain.Message{TicketID: t.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorSystem, Text: text, CreatedAt: now}
		if _, err := tx.InsertMessage(ctx, ev); err != nil {
			return err
		}
		for _, owner := range []domain.Ticket{before, *t} {
			e := domain.Event{TicketID: t.ID, TeamID: owner.TeamID, AssigneeID: owner.AssigneeID}
			events = append(events, with(e, domain.EventTicketUpdated, t, nil))
		}
		events = append(events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageCreated, nil, ev))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("route ticket %d to agent %d: %w", ticketID, agentID, err)
	}
	d.publish(ctx, events)
	return t, nil
}

// SetPresence records the presence an agent chose and announces it, so
// the router pushes work to an agent coming online and stops pushing to
// one leaving. It returns since when the agent has had that presence.
func (d *Desk) SetPresence(ctx context.Context, agent *domain.Agent, presence string) (int64, error) {
	return d.setPresence(ctx, agent.ID, agent.Name, presence, false)
}

// AutoPresence sets a presence the agent did not choose: away when its
// app has been gone for a while, online again when it reconnects.
func (d *Desk) AutoPresence(ctx context.Context, agentID int64, presence string) error {
	_, err := d.setPresence(ctx, agentID, "", presence, true)
	return err
}

func (d *Desk) setPresence(ctx context.Context, agentID int64, name, presence string, auto bool) (int64, error) {
	if err := domain.ValidPresence(presence); err != nil {
		return 0, err
	}
	since, err := d.store.SetPresence(ctx, agentID, presence, auto, d.now())
	if err != nil {
		return 0, fmt.Errorf("set presence of agent %d: %w", agentID, err)
	}
	d.publish(ctx, []domain.Event{{Type: domain.EventAgentPresence, AssigneeID: agentID,
		Agent: &domain.AgentRef{ID: agentID, Name: name}, Presence: presence}})
	return since, nil
}

// AgentsChanged tells the router that agents' teams, skills or capacity
// changed, or that they were created or disabled.
func (d *Desk) AgentsChanged(ctx context.Context, ids ...int64) {
	events := make([]domain.Event, len(ids))
	for i, id := range ids {
		events[i] = domain.Event{Type: domain.EventAgentUpdated, AssigneeID: id}
	}
	d.publish(ctx, events)
}

// TeamChanged tells the router that a team was created or its settings
// changed.
func (d *Desk) TeamChanged(ctx context.Context, id int64) {
	d.publish(ctx, []domain.Event{{Type: domain.EventTeamUpdated, TeamID: id}})
}
