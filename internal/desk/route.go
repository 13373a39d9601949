package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// ErrStaleDecision means a routing decision no longer fits the ticket: it
// was assigned, solved or moved meanwhile, or the agent left its team or
// was disabled. The router re-reads the ticket and the agent.
var ErrStaleDecision = errors.New("routing decision no longer applies")

// Routing is one routing decision: ticket TicketID of team TeamID, held by
// agent From (0: waiting in the queue), goes to agent To (0: back to the
// queue). It applies only while the ticket is still so.
type Routing struct {
	TicketID int64
	TeamID   int64
	From     int64
	To       int64
	Reason   string
	Waited   time.Duration // how long the ticket waited in the queue, when assigned from it
}

// Route applies a routing decision and records the reason on the
// timeline. The router decides on what it last heard, so an agent's manual
// change may have been committed meanwhile: the ticket's row is locked
// and the decision applied only if the ticket is still routable, in the
// same team, held by From, and To an enabled member of that team.
func (d *Desk) Route(ctx context.Context, r Routing) (*domain.Ticket, error) {
	var t *domain.Ticket
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.LockTicket(ctx, r.TicketID); err != nil {
			return err
		}
		var err error
		if t, err = tx.Ticket(ctx, r.TicketID); err != nil {
			return err
		}
		routable := (t.Status == domain.StatusNew || t.Status == domain.StatusOpen) && t.TeamID != 0 && t.BotState != domain.BotActive
		if !routable || t.TeamID != r.TeamID || t.AssigneeID != r.From || r.From == r.To {
			return ErrStaleDecision
		}
		before := *t
		text := "Returned to the queue: " + r.Reason
		name, values := EventRoutingReturned, map[string]any{"reason": r.Reason}
		if r.To != 0 {
			a, err := tx.Agent(ctx, r.To)
			if errors.Is(err, domain.ErrNotFound) {
				return ErrStaleDecision
			} else if err != nil {
				return err
			}
			if a.Disabled || !slices.Contains(a.TeamIDs, t.TeamID) {
				return ErrStaleDecision
			}
			text = "Assigned to " + a.Name + " by routing: " + r.Reason
			name, values = EventRoutingAssigned, map[string]any{"agent": a.Name, "agent_id": a.ID, "waited_ms": r.Waited.Milliseconds(), "reason": r.Reason}
		}
		now := d.now()
		t.AssigneeID, t.UpdatedAt = r.To, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		entry, err := timelineEvent(ctx, tx, t, 0, text, name, values, now)
		if err != nil {
			return err
		}
		for _, owner := range []domain.Ticket{before, *t} {
			e := domain.Event{TicketID: t.ID, TeamID: owner.TeamID, AssigneeID: owner.AssigneeID}
			events = append(events, with(e, domain.EventTicketUpdated, t, nil))
		}
		events = append(events, entry)
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("route ticket %d from agent %d to agent %d: %w", r.TicketID, r.From, r.To, err)
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

// AwayIfUnseen sets an online agent away, as Loket's choice, when its
// app has not been seen since before (Unix ms), and announces it. It
// checks and changes in one statement, so an app that came back meanwhile
// keeps the agent online. It reports whether the agent was set away.
func (d *Desk) AwayIfUnseen(ctx context.Context, agentID, before int64) (bool, error) {
	away, err := d.store.AwayIfUnseen(ctx, agentID, before, d.now())
	if err != nil || !away {
		return false, err
	}
	d.publish(ctx, []domain.Event{{Type: domain.EventAgentPresence, AssigneeID: agentID,
		Agent: &domain.AgentRef{ID: agentID}, Presence: domain.PresenceAway}})
	return true, nil
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

// ChannelChanged tells every node that a channel was created or its
// settings changed, so that its connector starts or restarts at once.
func (d *Desk) ChannelChanged(ctx context.Context, id int64, created bool) {
	typ := domain.EventChannelUpdated
	if created {
		typ = domain.EventChannelCreated
	}
	d.publish(ctx, []domain.Event{{Type: typ, ChannelID: id}})
}
