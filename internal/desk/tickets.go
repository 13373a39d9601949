package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// TicketChange lists the fields to change; nil fields stay as they are.
// AssigneeID and TeamID 0 clear the assignment.
type TicketChange struct {
	Status     *domain.TicketStatus
	Priority   *domain.Priority
	AssigneeID *int64
	TeamID     *int64
	Tags       *[]string
	Subject    *string
	Skills     *[]string
	BotState   *string
}

// UpdateTicket applies a change made by an agent (actorID) and records each
// change on the timeline as an event entry.
func (d *Desk) UpdateTicket(ctx context.Context, ticketID, actorID int64, ch TicketChange) (*domain.Ticket, error) {
	var t *domain.Ticket
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		// Lock the row first, so a routing decision on the same ticket
		// waits and then sees this change, instead of overwriting it.
		if err := tx.LockTicket(ctx, ticketID); err != nil {
			return err
		}
		var err error
		if t, err = tx.Ticket(ctx, ticketID); err != nil {
			return err
		}
		before := *t
		solved := false
		var notes []string
		var changes []Change
		now := d.now()
		if ch.Status != nil && *ch.Status != t.Status {
			next, err := t.Status.Transition(*ch.Status)
			if err != nil {
				return err
			}
			if t.Status == domain.StatusSolved && next.Active() {
				if err := tx.CountReopen(ctx, t.ID); err != nil {
					return err
				}
			}
			notes = append(notes, fmt.Sprintf("status %s → %s", t.Status, next))
			changes = append(changes, Change{Field: "status", From: t.Status, To: next})
			t.Status = next
			switch {
			case next == domain.StatusSolved:
				t.SolvedAt = now
				solved = true
			case next != domain.StatusClosed:
				t.SolvedAt = 0
			}
		}
		if ch.Priority != nil && *ch.Priority != t.Priority {
			if !ch.Priority.Valid() {
				return domain.Invalid("invalid_priority", fmt.Sprintf("unknown priority %q; use low, normal, high or urgent", *ch.Priority))
			}
			notes = append(notes, fmt.Sprintf("priority %s → %s", t.Priority, *ch.Priority))
			changes = append(changes, Change{Field: "priority", From: t.Priority, To: *ch.Priority})
			t.Priority = *ch.Priority
		}
		if ch.TeamID != nil && *ch.TeamID != t.TeamID {
			notes = append(notes, fmt.Sprintf("team → %d", *ch.TeamID))
			changes = append(changes, Change{Field: "team", To: *ch.TeamID})
			t.TeamID = *ch.TeamID
		}
		if ch.AssigneeID != nil && *ch.AssigneeID != t.AssigneeID {
			if *ch.AssigneeID != 0 {
				a, err := tx.Agent(ctx, *ch.AssigneeID)
				if errors.Is(err, domain.ErrNotFound) {
					return domain.Invalid("unknown_agent", fmt.Sprintf("agent %d does not exist", *ch.AssigneeID))
				} else if err != nil {
					return err
				}
				notes = append(notes, "assigned to "+a.Name)
				changes = append(changes, Change{Field: "assignee", To: a.Name})
			} else {
				notes = append(notes, "unassigned")
				changes = append(changes, Change{Field: "assignee"})
			}
			t.AssigneeID = *ch.AssigneeID
		}
		if ch.Subject != nil && strings.TrimSpace(*ch.Subject) != t.Subject {
			t.Subject = strings.TrimSpace(*ch.Subject)
			notes = append(notes, "subject changed")
			changes = append(changes, Change{Field: "subject", To: t.Subject})
		}
		if ch.Skills != nil {
			skills, err := domain.NormalizeSkills(*ch.Skills)
			if err != nil {
				return err
			}
			if strings.Join(skills, ",") != strings.Join(t.Skills, ",") {
				notes = append(notes, "skills: "+strings.Join(skills, ", "))
				changes = append(changes, Change{Field: "skills", To: skills})
				t.Skills = skills
			}
		}
		if ch.BotState != nil && *ch.BotState != t.BotState {
			if err := domain.ValidBotState(*ch.BotState); err != nil {
				return err
			}
			notes = append(notes, botNote(*ch.BotState))
			changes = append(changes, Change{Field: "bot", To: *ch.BotState})
			t.BotState = *ch.BotState
		}
		if ch.Tags != nil {
			tags, err := domain.NormalizeTags(*ch.Tags)
			if err != nil {
				return err
			}
			if strings.Join(tags, ",") != strings.Join(t.Tags, ",") {
				notes = append(notes, "tags: "+strings.Join(tags, ", "))
				changes = append(changes, Change{Field: "tags", To: tags})
				t.Tags = tags
				if err := tx.SetTags(ctx, t.ID, tags); err != nil {
					return err
				}
			}
		}
		if len(notes) == 0 {
			return nil
		}
		t.UpdatedAt = now
		slaEvents, err := d.applySLA(ctx, tx, t, now)
		if err != nil {
			return err
		}
		events = append(events, slaEvents...)
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		if solved {
			if err := d.scheduleSurvey(ctx, tx, t, now); err != nil {
				return err
			}
		}
		entry, err := timelineEvent(ctx, tx, t, actorID, strings.Join(notes, "; "), EventTicketChanged, map[string]any{"changes": changes}, now)
		if err != nil {
			return err
		}
		// Agents who could see the ticket before the change must hear of it
		// too (it may have left their team), so announce under both owners.
		for _, owner := range []domain.Ticket{before, *t} {
			e := domain.Event{TicketID: t.ID, TeamID: owner.TeamID, AssigneeID: owner.AssigneeID}
			events = append(events, with(e, domain.EventTicketUpdated, t, nil))
			if owner.TeamID == t.TeamID && owner.AssigneeID == t.AssigneeID {
				break
			}
		}
		events = append(events, entry)
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("update ticket %d: %w", ticketID, err)
	}
	d.publish(ctx, events)
	return t, nil
}

// MergeContacts moves everything of contact merged into survivor and
// records the merge on each moved ticket's timeline.
func (d *Desk) MergeContacts(ctx context.Context, survivorID, mergedID, actorID int64) (*domain.Contact, error) {
	if survivorID == mergedID {
		return nil, domain.Invalid("same_contact", "a contact cannot be merged into itself")
	}
	var survivor *domain.Contact
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		s, err := tx.Contact(ctx, survivorID)
		if err != nil {
			return err
		}
		m, err := tx.Contact(ctx, mergedID)
		if err != nil {
			return err
		}
		if s.MergedInto != 0 || m.MergedInto != 0 {
			return domain.Invalid("already_merged", "one of these contacts was already merged into another")
		}
		var moved []*domain.Ticket
		for cursor := ""; ; {
			page, err := tx.Tickets(ctx, store.TicketFilter{Viewer: domain.Viewer{Role: domain.RoleAdmin}, ContactID: mergedID, Limit: 200, Cursor: cursor})
			if err != nil {
				return err
			}
			moved = append(moved, page.Tickets...)
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if err := tx.MergeContacts(ctx, survivorID, mergedID, actorID); err != nil {
			return err
		}
		now := d.now()
		for _, t := range moved {
			t.ContactID = survivorID
			ev := &domain.Message{TicketID: t.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorAgent, AuthorID: actorID,
				Text: fmt.Sprintf("contact %s merged into %s", m.Number, s.Number),
				Meta: eventMeta(EventContactsMerged, map[string]any{"from": m.Number, "into": s.Number}), CreatedAt: now}
			if _, err := tx.InsertMessage(ctx, ev); err != nil {
				return err
			}
			events = append(events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventTicketUpdated, t, nil))
		}
		if survivor, err = tx.Contact(ctx, survivorID); err != nil {
			return err
		}
		if survivor.Name == "" && m.Name != "" {
			survivor.Name = m.Name
			return tx.UpdateContact(ctx, survivor)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("merge contact %d into %d: %w", mergedID, survivorID, err)
	}
	d.publish(ctx, events)
	return survivor, nil
}

// botNote describes a change of the bot's hold on the timeline.
func botNote(state string) string {
	switch state {
	case domain.BotActive:
		return "the bot is answering"
	case domain.BotHandedOver:
		return "the bot handed the conversation to the team"
	case domain.BotResolved:
		return "resolved by the bot"
	}
	return "the bot stopped answering"
}

// NewTicket is a ticket opened for a contact without a message from them,
// such as for a proactive message or a task a rule creates.
type NewTicket struct {
	ContactID int64
	ChannelID int64 // the channel replies go out on by default; may be 0
	TeamID    int64 // 0: the channel's team
	Subject   string
	Status    domain.TicketStatus // "" is new
	Priority  domain.Priority     // "" is normal
	// Reason is the timeline entry that says why the ticket was opened.
	Reason string
}

// OpenTicket opens a ticket for a contact and says why on its timeline.
func (d *Desk) OpenTicket(ctx context.Context, nt NewTicket) (*domain.Ticket, error) {
	if nt.Status == "" {
		nt.Status = domain.StatusNew
	}
	if nt.Priority == "" {
		nt.Priority = domain.PriorityNormal
	}
	if !nt.Status.Valid() || !nt.Priority.Valid() {
		return nil, domain.Invalid("invalid_ticket", fmt.Sprintf("unknown status %q or priority %q", nt.Status, nt.Priority))
	}
	var t *domain.Ticket
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		if _, err := tx.Contact(ctx, nt.ContactID); err != nil {
			return err
		}
		team := nt.TeamID
		if team == 0 && nt.ChannelID != 0 {
			var err error
			if team, err = d.channelTeam(ctx, tx, nt.ChannelID); err != nil {
				return err
			}
		}
		now := d.now()
		t = &domain.Ticket{ContactID: nt.ContactID, Subject: nt.Subject, Status: nt.Status, Priority: nt.Priority,
			TeamID: team, ChannelID: nt.ChannelID, CreatedAt: now}
		if nt.Status == domain.StatusSolved {
			t.SolvedAt = now
		}
		if err := tx.CreateTicket(ctx, t); err != nil {
			return err
		}
		entry, err := timelineEvent(ctx, tx, t, 0, nt.Reason, EventTicketOpened, map[string]any{"reason": nt.Reason}, now)
		if err != nil {
			return err
		}
		events = []domain.Event{with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventTicketCreated, t, nil), entry}
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("open ticket for contact %d: %w", nt.ContactID, err)
	}
	d.publish(ctx, events)
	return t, nil
}

// AddTimelineEvent puts a system event on a ticket's timeline, such as
// what a rule did; name and values become its meta (see eventMeta).
func (d *Desk) AddTimelineEvent(ctx context.Context, ticketID int64, text, name string, values map[string]any) error {
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		t, err := tx.Ticket(ctx, ticketID)
		if err != nil {
			return err
		}
		entry, err := timelineEvent(ctx, tx, t, 0, text, name, values, d.now())
		if err != nil {
			return err
		}
		events = []domain.Event{entry}
		return d.record(ctx, tx, events, nil)
	})
	if err != nil {
		return fmt.Errorf("add %s to ticket %d: %w", name, ticketID, err)
	}
	d.publish(ctx, events)
	return nil
}
