package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
)

// InvalidateSLA makes the next SLA computation, on this node and the
// others, reload policies, calendars and channels (after an admin changed
// them).
func (d *Desk) InvalidateSLA() { d.hours.Changed() }

// channelTeam returns the default team of a channel, from the cached
// configuration when it knows the channel.
func (d *Desk) channelTeam(ctx context.Context, tx *store.Store, channelID int64) (int64, error) {
	rules, err := d.hours.Rules(ctx)
	if err != nil {
		return 0, err
	}
	if c, ok := rules.Channels[channelID]; ok {
		return c.TeamID, nil
	}
	ch, err := tx.Channel(ctx, channelID)
	if err != nil {
		return 0, err
	}
	return ch.TeamID, nil
}

var slaKinds = []string{sla.FirstResponse, sla.NextResponse, sla.Resolution}

func warnedBit(i int) int64   { return 1 << (2 * i) }
func breachedBit(i int) int64 { return 1 << (2*i + 1) }

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func timeMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// applySLA recomputes a ticket's SLA state at now: which policy applies,
// the clock pausing while the ticket waits (pending, on hold), the running
// due times, and the warnings and breaches that have come due, which it
// records on the timeline and returns as events. The caller saves t.
func (d *Desk) applySLA(ctx context.Context, tx *store.Store, t *domain.Ticket, now int64) ([]domain.Event, error) {
	rules, err := d.hours.Rules(ctx)
	if err != nil {
		return nil, err
	}
	facts := sla.Facts{ChannelKind: rules.Channels[t.ChannelID].Kind, ChannelID: t.ChannelID, TeamID: t.TeamID,
		Priority: string(t.Priority), Tags: t.Tags}
	if rules.UsesAttributes {
		c, err := tx.Contact(ctx, t.ContactID)
		if err != nil {
			return nil, err
		}
		facts.Attributes = map[string]string{}
		var attrs map[string]any
		json.Unmarshal(c.Attributes, &attrs)
		for k, v := range attrs {
			facts.Attributes[k] = fmt.Sprint(v)
		}
	}
	policy, cal := rules.Choose(facts)
	paused := t.Status == domain.StatusPending || t.Status == domain.StatusOnHold
	switch {
	case paused && t.SLAPausedAt == 0:
		t.SLAPausedAt = now
	case !paused && t.SLAPausedAt != 0:
		t.SLAPausedMs += cal.Between(msTime(t.SLAPausedAt), msTime(now)).Milliseconds()
		t.SLAPausedAt = 0
	}
	targets := policy.Due(cal, sla.Clock{
		Created: msTime(t.CreatedAt), FirstResponse: msTime(t.FirstResponseAt),
		LastCustomer: msTime(t.LastCustomerAt), LastAgent: msTime(t.LastAgentAt),
		PausedBusiness: time.Duration(t.SLAPausedMs) * time.Millisecond,
		Paused:         paused, Done: !t.Status.Active(), Priority: string(t.Priority),
	})
	if policy.Name != t.SLAPolicy {
		t.SLAPolicy, t.SLAFlags = policy.Name, 0
	}
	dues := []*int64{&t.FirstResponseDue, &t.NextResponseDue, &t.ResolutionDue}
	next := make([]int64, len(dues))
	byKind := map[string]sla.Target{}
	for _, tg := range targets {
		byKind[tg.Kind] = tg
	}
	var events []domain.Event
	type note struct {
		text string
		meta json.RawMessage
	}
	var notes []note
	t.SLADue, t.SLANextCheck, t.SLABreached = 0, 0, false
	for i, kind := range slaKinds {
		tg, running := byKind[kind]
		next[i] = timeMs(tg.Due)
		if next[i] != *dues[i] {
			t.SLAFlags &^= warnedBit(i) | breachedBit(i) // a new promise starts clean
		}
		*dues[i] = next[i]
		if !running {
			continue
		}
		due, warn := next[i], timeMs(tg.Warn)
		if now >= warn && t.SLAFlags&warnedBit(i) == 0 && now < due {
			t.SLAFlags |= warnedBit(i)
			events = append(events, domain.Event{Type: domain.EventSLAWarning})
			notes = append(notes, note{fmt.Sprintf("SLA warning: %s due %s", label(kind), msTime(due).UTC().Format(time.RFC3339)),
				eventMeta(domain.EventSLAWarning, map[string]any{"target": kind, "due": due})})
		}
		if now >= due && t.SLAFlags&breachedBit(i) == 0 {
			t.SLAFlags |= warnedBit(i) | breachedBit(i)
			if err := tx.RecordSLABreach(ctx, t.ID, 1<<i); err != nil {
				return nil, err
			}
			events = append(events, domain.Event{Type: domain.EventSLABreached})
			notes = append(notes, note{fmt.Sprintf("SLA breached: %s was due %s", label(kind), msTime(due).UTC().Format(time.RFC3339)),
				eventMeta(domain.EventSLABreached, map[string]any{"target": kind, "due": due})})
		}
		if t.SLAFlags&breachedBit(i) != 0 {
			t.SLABreached = true
		}
		t.SLADue = earliest(t.SLADue, due)
		if t.SLAFlags&warnedBit(i) == 0 {
			t.SLANextCheck = earliest(t.SLANextCheck, warn)
		}
		if t.SLAFlags&breachedBit(i) == 0 {
			t.SLANextCheck = earliest(t.SLANextCheck, due)
		}
	}
	for i := range events {
		events[i].TicketID, events[i].TeamID, events[i].AssigneeID, events[i].Ticket = t.ID, t.TeamID, t.AssigneeID, t
	}
	for _, n := range notes {
		m := &domain.Message{TicketID: t.ID, Kind: domain.KindEvent, AuthorType: domain.AuthorSystem, Text: n.text, Meta: n.meta, CreatedAt: now}
		if _, err := tx.InsertMessage(ctx, m); err != nil {
			return nil, err
		}
		events = append(events, with(domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}, domain.EventMessageCreated, nil, m))
	}
	return events, nil
}

// earliest returns the earlier of two instants, zero meaning none.
func earliest(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

func label(kind string) string {
	switch kind {
	case sla.FirstResponse:
		return "first response"
	case sla.NextResponse:
		return "next response"
	}
	return "resolution"
}

// CheckSLA raises the warnings and breaches that have come due, for at
// most limit tickets, and returns how many it looked at. Run it often (the
// server does every 15 seconds); nodes share the work.
func (d *Desk) CheckSLA(ctx context.Context, limit int) (int, error) {
	var events []domain.Event
	var n int
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		now := d.now()
		ids, err := tx.DueSLAChecks(ctx, now, limit)
		if err != nil {
			return err
		}
		n = len(ids)
		for _, id := range ids {
			t, err := tx.Ticket(ctx, id)
			if err != nil {
				return err
			}
			evs, err := d.applySLA(ctx, tx, t, now)
			if err != nil {
				return err
			}
			if err := tx.UpdateTicket(ctx, t); err != nil {
				return err
			}
			events = append(events, evs...)
		}
		return d.record(ctx, tx, events)
	})
	if err != nil {
		return 0, fmt.Errorf("check SLAs: %w", err)
	}
	d.publish(ctx, events)
	return n, nil
}
