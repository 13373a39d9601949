package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// Calls from a telephone system arrive as events (channel.CallEvent) that
// create and move one call entry per call: a timeline message of kind call
// whose meta and calls row hold the call's state.
const (
	// dialWindow is how long a click-to-call waits for the telephone
	// system to report the call from the agent's extension.
	dialWindow = 2 * time.Minute
	// MaxCallbackNote caps a callback request's note.
	MaxCallbackNote = 2000
)

// calls applies a payload's call events, each in its own transaction.
func (d *Desk) calls(ctx context.Context, ch *domain.Channel, evs []channel.CallEvent) (int, error) {
	n := 0
	for _, ev := range evs {
		if err := validCallEvent(ev); err != nil {
			return n, err
		}
		var events []domain.Event
		err := retryRace(func() error {
			events = events[:0]
			return d.store.Tx(ctx, func(tx *store.Store) error {
				var err error
				events, err = d.callEvent(ctx, tx, ch, ev)
				return err
			})
		})
		if err != nil {
			return n, fmt.Errorf("call %s on channel %d: %w", ev.CallID, ch.ID, err)
		}
		d.publish(ctx, events)
		n++
	}
	return n, nil
}

// retryRace runs fn again when it lost a race to a concurrent writer.
func retryRace(fn func() error) error {
	var err error
	for range 3 {
		if err = fn(); !transient(err) {
			return err
		}
	}
	return err
}

func validCallEvent(ev channel.CallEvent) error {
	switch {
	case ev.CallID == "" || len(ev.CallID) > 255:
		return domain.Invalid("invalid_call", "a call event needs a call id of at most 255 characters")
	case ev.State != domain.CallRinging && ev.State != domain.CallAnswered && ev.State != domain.CallEnded:
		return domain.Invalid("invalid_call", fmt.Sprintf("unknown call state %q", ev.State))
	case ev.Direction != domain.DirectionIn && ev.Direction != domain.DirectionOut:
		return domain.Invalid("invalid_call", fmt.Sprintf("call direction must be in or out, not %q", ev.Direction))
	case ev.Cause != "" && !ev.Cause.Valid():
		return domain.Invalid("invalid_call", fmt.Sprintf("unknown call cause %q", ev.Cause))
	case len(ev.Line) > 64 || len(ev.Customer) > 64 || len(ev.Agents) > 50 || len(ev.RecordingURL) > 2048 || len(ev.VoicemailURL) > 2048:
		return domain.Invalid("invalid_call", "a call event's numbers, agents or links are too long")
	}
	return nil
}

// callEvent moves the call ev names forward, creating its entry (and the
// contact and ticket) on the first event, and returns the events to
// publish.
func (d *Desk) callEvent(ctx context.Context, tx *store.Store, ch *domain.Channel, ev channel.CallEvent) ([]domain.Event, error) {
	now := d.now()
	at := now
	if !ev.At.IsZero() {
		at = ev.At.UnixMilli()
	}
	agents, err := tx.AgentsByPhone(ctx, ev.Agents)
	if err != nil {
		return nil, err
	}
	c, err := tx.Call(ctx, ch.ID, ev.CallID)
	if errors.Is(err, domain.ErrNotFound) && ev.Direction == domain.DirectionOut && ev.Line != "" {
		// The telephone system reports a call an agent clicked in Loket:
		// it takes the system's id from now on.
		if c, err = tx.PendingDial(ctx, ch.ID, ev.Line, now-dialWindow.Milliseconds()); err == nil {
			c.CallID = ev.CallID
		}
	}
	var events []domain.Event
	created := false
	switch {
	case errors.Is(err, domain.ErrNotFound):
		if c, events, err = d.newCall(ctx, tx, ch, ev, agents, at); err != nil {
			return nil, err
		}
		created = true
	case err != nil:
		return nil, err
	}
	if err := tx.LockTicket(ctx, c.TicketID); err != nil {
		return nil, err
	}
	if !created {
		// Read again under the ticket's lock: another node may have moved
		// the call meanwhile.
		if again, err := tx.CallOfMessage(ctx, c.MessageID); err == nil {
			again.CallID = c.CallID
			c = again
		}
	}
	before := *c
	before.Ringing = slices.Clone(c.Ringing)
	moveCall(c, ev, agents, at)
	if !created && callSame(&before, c) {
		return nil, nil // a repeated or late event
	}
	if err := tx.SaveCall(ctx, c); err != nil {
		return nil, err
	}
	t, err := tx.Ticket(ctx, c.TicketID)
	if err != nil {
		return nil, err
	}
	changed, err := d.callTicket(ctx, tx, t, &before, c, now)
	if err != nil {
		return nil, err
	}
	m, err := tx.Message(ctx, c.MessageID)
	if err != nil {
		return nil, err
	}
	base := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	if created {
		events = append(events, with(base, domain.EventMessageCreated, nil, m))
	} else {
		events = append(events, with(base, domain.EventMessageUpdated, nil, m))
	}
	events = append(events, changed...)
	events = append(events, callUpdated(base, c))
	contact, err := tx.Contact(ctx, t.ContactID)
	if err != nil {
		return nil, err
	}
	if err := d.record(ctx, tx, events, contact); err != nil {
		return nil, err
	}
	if c.Missed && !before.Missed && d.watcher != nil {
		missed := domain.Trigger{Type: domain.TriggerCallMissed, TicketID: t.ID, MessageID: m.ID, ContactID: t.ContactID, At: now}
		if d.watcher.Wants(missed, Known{Ticket: t, Message: m, Contact: contact}) {
			if err := d.AddTrigger(ctx, tx, missed); err != nil {
				return nil, err
			}
		}
	}
	return events, nil
}

// callUpdated announces c to the agents who see its ticket and to its
// callees.
func callUpdated(base domain.Event, c *domain.Call) domain.Event {
	ev := with(base, domain.EventCallUpdated, nil, nil)
	ev.MessageID, ev.Call, ev.To = c.MessageID, c, callees(c)
	return ev
}

// callees are the agents a call concerns beyond those who see its ticket:
// whose phones ring, who answered or placed it.
func callees(c *domain.Call) []int64 {
	to := slices.Clone(c.Ringing)
	if c.AgentID != 0 && !slices.Contains(to, c.AgentID) {
		to = append(to, c.AgentID)
	}
	return to
}

func callSame(a, b *domain.Call) bool {
	return a.CallID == b.CallID && a.State == b.State && a.Cause == b.Cause && a.AgentID == b.AgentID &&
		slices.Equal(a.Ringing, b.Ringing) && a.RecordingURL == b.RecordingURL && a.VoicemailURL == b.VoicemailURL
}

// moveCall applies one event to a call; states only move forward.
func moveCall(c *domain.Call, ev channel.CallEvent, agents []*domain.Agent, at int64) {
	ids := make([]int64, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	if c.State == domain.CallDialing || c.State == domain.CallRequested {
		c.State = domain.CallRinging
	}
	switch ev.State {
	case domain.CallRinging:
		if c.State == domain.CallRinging {
			for _, id := range ids {
				if !slices.Contains(c.Ringing, id) {
					c.Ringing = append(c.Ringing, id)
				}
			}
		}
	case domain.CallAnswered:
		if c.AnsweredAt == 0 && c.State != domain.CallEnded {
			c.AnsweredAt = at
			if len(ids) > 0 && c.Direction == domain.DirectionIn {
				c.AgentID = ids[0]
			}
		}
	case domain.CallEnded:
		if c.State == domain.CallEnded {
			break
		}
		c.EndedAt = at
		c.Cause = ev.Cause
		if c.Cause == "" {
			c.Cause = domain.CauseNormal
		}
		if c.AnsweredAt == 0 {
			if c.Cause == domain.CauseNormal {
				c.Cause = domain.CauseNoAnswer
			}
			c.Missed = c.Direction == domain.DirectionIn && c.Cause != domain.CauseRejected && c.Cause != domain.CauseForwarded
		} else if c.AgentID != 0 {
			c.BusyUntil = at + ev.WrapUp.Milliseconds()
		}
	}
	c.State = c.State.Merge(ev.State)
	if ev.RecordingURL != "" {
		c.RecordingURL = ev.RecordingURL
	}
	if ev.VoicemailURL != "" {
		c.VoicemailURL = ev.VoicemailURL
	}
}

// newCall stores the entry of a call Loket has not heard of: the caller is
// recognised by number (an anonymous caller gets a contact of its own), and
// the call joins the contact's ticket on the channel or opens one. A new
// ticket waits outside the queue while the phone rings: the call is answered
// or, when missed, becomes a callback in the team's queue.
func (d *Desk) newCall(ctx context.Context, tx *store.Store, ch *domain.Channel, ev channel.CallEvent, agents []*domain.Agent, at int64) (*domain.Call, []domain.Event, error) {
	now := d.now()
	contact, from, err := d.caller(ctx, tx, ch.ID, ev.Customer, ev.Name, "", nil)
	if err != nil {
		return nil, nil, err
	}
	team := ev.TeamID
	if team == 0 {
		if team, err = d.channelTeam(ctx, tx, ch.ID); err != nil {
			return nil, nil, err
		}
	}
	in := &channel.Inbound{ChannelID: ch.ID, From: from, Subject: callSubject(ev.Direction, ev.Customer), Automatic: true}
	t, created, err := d.findTicket(ctx, tx, in, team, contact, now)
	if err != nil {
		return nil, nil, err
	}
	var events []domain.Event
	base := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	if created {
		t.Status = domain.StatusPending
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return nil, nil, err
		}
		events = append(events, with(base, domain.EventTicketCreated, t, nil))
	}
	c := &domain.Call{
		TicketID: t.ID, ChannelID: ch.ID, ContactID: contact.ID, CallID: ev.CallID, Direction: ev.Direction,
		Customer: ev.Customer, Line: ev.Line, State: domain.CallRinging, StartedAt: at,
	}
	if ev.Direction == domain.DirectionOut && len(agents) > 0 {
		c.AgentID = agents[0].ID
	}
	m, err := d.insertCallEntry(ctx, tx, c, from, now)
	if err != nil {
		return nil, nil, err
	}
	c.MessageID = m.ID
	return c, events, nil
}

// caller finds or creates the contact behind a number; a withheld number
// gets a contact of its own, since nothing can recognise it.
func (d *Desk) caller(ctx context.Context, tx *store.Store, channelID int64, number, name, lang string, also []domain.Identity) (*domain.Contact, domain.Identity, error) {
	if number == "" {
		c := &domain.Contact{Name: orElse(name, "Anonymous caller"), Language: lang}
		if err := tx.CreateContact(ctx, c); err != nil {
			return nil, domain.Identity{}, err
		}
		return c, domain.Identity{}, nil
	}
	from := domain.Identity{Kind: domain.IdentityPhone, Value: number}
	c, err := d.recognise(ctx, tx, &channel.Inbound{ChannelID: channelID, From: from, Also: also, Name: name, Language: lang})
	return c, from, err
}

func callSubject(dir domain.Direction, number string) string {
	if number == "" {
		number = "anonymous caller"
	}
	if dir == domain.DirectionOut {
		return "Call to " + number
	}
	return "Call from " + number
}

// insertCallEntry stores a call's timeline entry and its calls row.
func (d *Desk) insertCallEntry(ctx context.Context, tx *store.Store, c *domain.Call, from domain.Identity, now int64) (*domain.Message, error) {
	m := &domain.Message{
		TicketID: c.TicketID, ChannelID: c.ChannelID, Kind: domain.KindCall, Direction: c.Direction,
		AuthorType: domain.AuthorContact, AuthorID: c.ContactID, ExternalID: c.CallID, Text: c.Summary(), CreatedAt: now,
	}
	if c.Direction == domain.DirectionOut {
		m.AuthorType, m.AuthorID = domain.AuthorAgent, c.AgentID
	}
	if from.Value != "" {
		m.Address = &from
	}
	inserted, err := tx.InsertMessage(ctx, m)
	if err != nil {
		return nil, err
	}
	if !inserted {
		return nil, errLostRace
	}
	c.MessageID = m.ID
	if err := tx.SaveCall(ctx, c); err != nil {
		return nil, err
	}
	return m, nil
}

// callTicket carries a call's progress to its ticket: an answered call is
// the team's response and goes to the agent who took it, if nobody has the
// ticket; a missed one makes the customer wait for a callback in the
// team's queue.
func (d *Desk) callTicket(ctx context.Context, tx *store.Store, t *domain.Ticket, before, c *domain.Call, now int64) ([]domain.Event, error) {
	changed := false
	if c.AnsweredAt != 0 && before.AnsweredAt == 0 {
		if t.AssigneeID == 0 && c.AgentID != 0 {
			t.AssigneeID = c.AgentID
		}
		if c.Direction == domain.DirectionIn && t.FirstCustomerAt == 0 {
			t.FirstCustomerAt = c.StartedAt
		}
		if c.Direction == domain.DirectionIn && t.LastCustomerAt < c.StartedAt {
			t.LastCustomerAt = c.StartedAt
		}
		if t.FirstResponseAt == 0 {
			t.FirstResponseAt = c.AnsweredAt
		}
		if t.LastAgentAt < c.AnsweredAt {
			t.LastAgentAt = c.AnsweredAt
		}
		if t.Status != domain.StatusOpen {
			t.Status, t.SolvedAt = domain.StatusOpen, 0
		}
		changed = true
	}
	if c.Missed && !before.Missed {
		if err := customerWaits(ctx, tx, t, c.StartedAt); err != nil {
			return nil, err
		}
		changed = true
	}
	if !changed {
		return nil, nil
	}
	t.UpdatedAt = now
	events, err := d.applySLA(ctx, tx, t, now)
	if err != nil {
		return nil, err
	}
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return nil, err
	}
	ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	return append(events, with(ev, domain.EventTicketUpdated, t, nil)), nil
}

// Dial places a call for an agent from a ticket (click-to-call): the call
// entry is on that ticket, whatever channel the ticket came by. channelID
// picks the telephone channel; zero takes the first enabled one. Callback
// requests and missed calls on the ticket count as called back.
func (d *Desk) Dial(ctx context.Context, ticketID int64, agent *domain.Agent, channelID int64, number string) (*domain.Call, error) {
	if agent.Phone == "" {
		return nil, domain.Invalid("no_phone", "set your phone (extension or number) in your profile before calling")
	}
	to, err := domain.NormalizePhone(number, d.region)
	if err != nil {
		return nil, err
	}
	ch, dialer, err := d.dialer(ctx, channelID)
	if err != nil {
		return nil, err
	}
	ref := "loket-" + randomHex(12)
	var c *domain.Call
	var events []domain.Event
	err = d.store.Tx(ctx, func(tx *store.Store) error {
		events = events[:0]
		if err := tx.LockTicket(ctx, ticketID); err != nil {
			return err
		}
		t, err := tx.Ticket(ctx, ticketID)
		if err != nil {
			return err
		}
		now := d.now()
		c = &domain.Call{TicketID: t.ID, ChannelID: ch.ID, ContactID: t.ContactID, CallID: ref, Direction: domain.DirectionOut,
			Customer: to, Line: agent.Phone, State: domain.CallDialing, AgentID: agent.ID, StartedAt: now}
		m, err := d.insertCallEntry(ctx, tx, c, domain.Identity{Kind: domain.IdentityPhone, Value: to}, now)
		if err != nil {
			return err
		}
		base := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
		events = append(events, with(base, domain.EventMessageCreated, nil, m))
		requested, err := tx.Calls(ctx, store.CallFilter{TicketID: t.ID, State: domain.CallRequested})
		if err != nil {
			return err
		}
		missed, err := tx.Calls(ctx, store.CallFilter{TicketID: t.ID, Missed: true})
		if err != nil {
			return err
		}
		for _, row := range append(requested, missed...) {
			r := row.Call
			if r.State == domain.CallRequested {
				r.State, r.Cause, r.EndedAt, r.AgentID = domain.CallEnded, domain.CauseCalledBack, now, agent.ID
			} else {
				r.CalledBackAt = now
			}
			if err := tx.SaveCall(ctx, r); err != nil {
				return err
			}
			rm, err := tx.Message(ctx, r.MessageID)
			if err != nil {
				return err
			}
			events = append(events, with(base, domain.EventMessageUpdated, nil, rm))
		}
		events = append(events, callUpdated(base, c))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s from ticket %d: %w", to, ticketID, err)
	}
	d.publish(ctx, events)
	id, err := dialer.Dial(ctx, ch, channel.DialRequest{AgentPhone: agent.Phone, Customer: to, Ref: ref})
	if err != nil {
		d.failDial(context.WithoutCancel(ctx), ch, ref, err)
		return nil, domain.Invalid("dial_failed", fmt.Sprintf("the telephone system did not place the call: %v", err))
	}
	if id != "" && id != ref {
		if err := d.renameCall(ctx, ch, ref, id); err != nil {
			return nil, err
		}
		c.CallID = id
	}
	return c, nil
}

// dialer returns the telephone channel to call out on and its adapter.
func (d *Desk) dialer(ctx context.Context, channelID int64) (*domain.Channel, channel.Dialer, error) {
	chs, err := d.store.Channels(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	for _, ch := range chs {
		if !ch.Enabled || (channelID != 0 && ch.ID != channelID) {
			continue
		}
		a, err := d.channels.Adapter(ch.Kind)
		if err != nil {
			continue
		}
		if dl, ok := a.(channel.Dialer); ok {
			return ch, dl, nil
		}
	}
	if channelID != 0 {
		return nil, nil, domain.Invalid("not_a_phone_channel", fmt.Sprintf("channel %d is not an enabled telephone channel", channelID))
	}
	return nil, nil, domain.Invalid("no_phone_channel", "no telephone channel is set up: add a voice channel first")
}

// renameCall gives a dialed call the telephone system's id.
func (d *Desk) renameCall(ctx context.Context, ch *domain.Channel, from, to string) error {
	return d.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.Call(ctx, ch.ID, from)
		if errors.Is(err, domain.ErrNotFound) {
			return nil // the system reported it first, under its own id
		} else if err != nil {
			return err
		}
		c.CallID = to
		return tx.SaveCall(ctx, c)
	})
}

// failDial ends a dialed call the telephone system refused.
func (d *Desk) failDial(ctx context.Context, ch *domain.Channel, ref string, cause error) {
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		c, err := tx.Call(ctx, ch.ID, ref)
		if err != nil {
			return err
		}
		c.State, c.Cause, c.EndedAt, c.Note = domain.CallEnded, domain.CauseFailed, d.now(), truncate(cause.Error(), 500)
		if err := tx.SaveCall(ctx, c); err != nil {
			return err
		}
		m, err := tx.Message(ctx, c.MessageID)
		if err != nil {
			return err
		}
		t, err := tx.Ticket(ctx, c.TicketID)
		if err != nil {
			return err
		}
		base := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
		events = append(events, with(base, domain.EventMessageUpdated, nil, m), callUpdated(base, c))
		return nil
	})
	if err != nil {
		d.log.Warn("calls: cannot record a failed dial", "channel", ch.ID, "call", ref, "err", err)
		return
	}
	d.publish(ctx, events)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// RequestCallback implements channel.Switchboard: the request is a call
// entry waiting on the contact's ticket on the telephone channel, which
// counts as the customer waiting, so it is in the team's queue with the
// channel's SLA until an agent calls from the ticket. The channel must be
// an enabled telephone channel (one that places calls); zero takes the
// first one.
func (d *Desk) RequestCallback(ctx context.Context, channelID int64, r channel.CallbackRequest) (*domain.Call, error) {
	number, err := domain.NormalizePhone(r.Number, d.region)
	if err != nil {
		return nil, err
	}
	ch, _, err := d.dialer(ctx, channelID)
	if err != nil {
		return nil, err
	}
	channelID = ch.ID
	if len(r.Note) > MaxCallbackNote || len(r.Name) > 200 {
		return nil, domain.Invalid("too_large", fmt.Sprintf("a callback note is at most %d bytes and a name 200", MaxCallbackNote))
	}
	var c *domain.Call
	var events []domain.Event
	err = retryRace(func() error {
		events = events[:0]
		return d.store.Tx(ctx, func(tx *store.Store) error {
			now := d.now()
			contact, from, err := d.caller(ctx, tx, channelID, number, strings.TrimSpace(r.Name), r.Language, r.Also)
			if err != nil {
				return err
			}
			team, err := d.channelTeam(ctx, tx, channelID)
			if err != nil {
				return err
			}
			in := &channel.Inbound{ChannelID: channelID, From: from, Subject: "Callback request from " + number}
			t, created, err := d.findTicket(ctx, tx, in, team, contact, now)
			if err != nil {
				return err
			}
			c = &domain.Call{TicketID: t.ID, ChannelID: channelID, ContactID: contact.ID, CallID: "callback-" + randomHex(12),
				Direction: domain.DirectionIn, Customer: number, State: domain.CallRequested, Note: strings.TrimSpace(r.Note), StartedAt: now}
			if !r.At.IsZero() {
				c.CallbackAt = r.At.UnixMilli()
			}
			m, err := d.insertCallEntry(ctx, tx, c, from, now)
			if err != nil {
				return err
			}
			if !created {
				if err := customerWaits(ctx, tx, t, now); err != nil {
					return err
				}
			}
			t.UpdatedAt = now
			sla, err := d.applySLA(ctx, tx, t, now)
			if err != nil {
				return err
			}
			if err := tx.UpdateTicket(ctx, t); err != nil {
				return err
			}
			base := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
			typ := domain.EventTicketUpdated
			if created {
				typ = domain.EventTicketCreated
			}
			events = append(events, with(base, typ, t, nil), with(base, domain.EventMessageCreated, nil, m))
			events = append(events, sla...)
			events = append(events, callUpdated(base, c))
			return d.record(ctx, tx, events, contact)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("callback request on channel %d: %w", channelID, err)
	}
	d.publish(ctx, events)
	return c, nil
}

// Caller implements channel.Switchboard.
func (d *Desk) Caller(ctx context.Context, number string) (*channel.Caller, error) {
	out := &channel.Caller{Number: number}
	if number == "" {
		return out, nil
	}
	id, err := d.store.ContactIDByIdentity(ctx, domain.Identity{Kind: domain.IdentityPhone, Value: number})
	if errors.Is(err, domain.ErrNotFound) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	c, err := d.store.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	out.Known, out.ContactID, out.Name, out.Number = true, c.ID, c.Name, c.Number
	if len(c.Attributes) > 0 {
		if err := json.Unmarshal(c.Attributes, &out.Attributes); err != nil {
			return nil, fmt.Errorf("attributes of contact %d: %w", c.ID, err)
		}
	}
	if out.OpenTicketTags, err = d.store.OpenTicketTags(ctx, c.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// Call implements channel.Switchboard.
func (d *Desk) Call(ctx context.Context, channelID int64, callID string) (*domain.Call, error) {
	return d.store.Call(ctx, channelID, callID)
}

// Available implements channel.Switchboard.
func (d *Desk) Available(ctx context.Context, teamID int64) ([]channel.Reachable, error) {
	now := d.now()
	agents, err := d.store.Reachable(ctx, teamID, now, now-domain.CallStale.Milliseconds())
	if err != nil {
		return nil, err
	}
	out := make([]channel.Reachable, len(agents))
	for i, a := range agents {
		out[i] = channel.Reachable{AgentID: a.ID, Name: a.Name, Phone: a.Phone}
	}
	return out, nil
}

// BusyAgents lists the agents on a call or in its wrap-up now, for routing.
func (d *Desk) BusyAgents(ctx context.Context) ([]store.Busy, error) {
	return d.store.BusyAgents(ctx, d.now())
}
