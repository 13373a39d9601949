package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Visits at the front desk: a receptionist checks a visitor in, the
// visitor gets a queue number of the day and a visit entry
// (domain.KindVisit) on a ticket, an agent calls the longest-waiting
// visitor to a counter and ends the visit as served or as a no-show. The
// visit entry's meta carries its progress, so the timeline shows the
// number, the waited and served times and the agent's notes.

// Timeline events of a visit.
const (
	EventVisitCalled = "visit.called" // number, counter, agent, waited_ms
	EventVisitDone   = "visit.done"   // number, counter, waited_ms, served_ms
	EventVisitNoShow = "visit.no_show"
)

// DefaultVisitService is the expected time at the counter while a desk has
// no served visits to learn from: customers expect to be helped face to
// face within about seven minutes.
const DefaultVisitService = 7 * time.Minute

// ServiceSample is how many recent visits the expected service time is
// the mean of.
const ServiceSample = 20

// VisitQueue is how a front desk channel numbers its visitors: labels are
// Prefix and a three-digit number, counted per day in Location.
type VisitQueue struct {
	Prefix   string
	Location *time.Location
}

// VisitQueuer is implemented by adapters of channels where customers queue
// in person; only their channels take check-ins.
type VisitQueuer interface {
	VisitQueue(ch *domain.Channel) (VisitQueue, error)
}

// CheckIn is a visitor a receptionist checks in. The visitor is recognised
// by customer number, phone or e-mail; without any, Name is required and a
// new contact is made. TicketNumber adds the visit to that open ticket of
// the visitor's instead of opening a new one.
type CheckIn struct {
	ChannelID      int64
	CustomerNumber string
	Phone          string
	Email          string
	Name           string
	Topic          string
	TicketNumber   int64
}

// Limits on a check-in's free text.
const (
	maxVisitTopic = 200
	maxVisitNotes = 4000
	maxCounter    = 40
)

// CheckInVisitor checks a visitor in: it hands out the next queue number,
// stores the visit through Receive (so it counts as a customer contact and
// its ticket is queued like any other) and puts the visit in the queue.
func (d *Desk) CheckInVisitor(ctx context.Context, c CheckIn) (*store.Visit, error) {
	ch, q, err := d.visitChannel(ctx, c.ChannelID)
	if err != nil {
		return nil, err
	}
	c.Topic, c.Name = strings.TrimSpace(c.Topic), strings.TrimSpace(c.Name)
	if utf8.RuneCountInString(c.Topic) > maxVisitTopic || utf8.RuneCountInString(c.Name) > maxVisitTopic {
		return nil, domain.Invalid("too_long", fmt.Sprintf("topic and name must be at most %d characters", maxVisitTopic))
	}
	in, contactID, err := d.visitor(ctx, c)
	if err != nil {
		return nil, err
	}
	if c.TicketNumber != 0 {
		t, err := d.store.TicketByNumber(ctx, c.TicketNumber)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && t.ContactID != contactID) {
			return nil, domain.Invalid("unknown_ticket", fmt.Sprintf("ticket #%d is not a ticket of this visitor; leave it empty to open a new one", c.TicketNumber))
		} else if err != nil {
			return nil, err
		}
		if t.Status == domain.StatusClosed {
			return nil, domain.Invalid("ticket_closed", fmt.Sprintf("ticket #%d is closed; leave it empty to open a new one", c.TicketNumber))
		}
		in.TicketNumber = t.Number
	}
	now := d.now()
	day := time.UnixMilli(now).In(q.Location).Format(time.DateOnly)
	n, err := d.store.NextVisitNumber(ctx, ch.ID, day)
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("%s%03d", q.Prefix, n)
	in.ChannelID = ch.ID
	in.Kind = domain.KindVisit
	in.ExternalID = fmt.Sprintf("visit-%s-%d", day, n)
	in.Standalone = true
	in.Subject = orElse(c.Topic, "Visit at "+ch.Name)
	in.Text = "Visitor " + label + " checked in"
	if c.Topic != "" {
		in.Text += ": " + c.Topic
	}
	in.Meta = visitMeta(nil, map[string]any{"number": label, "status": store.VisitWaiting, "topic": c.Topic, "arrived_at": now})
	r, err := d.Receive(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("check in visitor %s: %w", label, err)
	}
	v := &store.Visit{ChannelID: ch.ID, Day: day, Number: n, Label: label, TicketID: r.Ticket.ID, ContactID: r.Contact.ID,
		MessageID: r.Message.ID, Topic: c.Topic, Status: store.VisitWaiting, ArrivedAt: r.Message.CreatedAt}
	if err := d.store.InsertVisit(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// visitChannel returns an enabled channel that takes visitors, and how it
// numbers them.
func (d *Desk) visitChannel(ctx context.Context, id int64) (*domain.Channel, VisitQueue, error) {
	ch, err := d.store.Channel(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, VisitQueue{}, domain.Invalid("unknown_channel", fmt.Sprintf("channel %d does not exist", id))
	} else if err != nil {
		return nil, VisitQueue{}, err
	}
	a, err := d.channels.Adapter(ch.Kind)
	if err != nil {
		return nil, VisitQueue{}, err
	}
	qr, ok := a.(VisitQueuer)
	if !ok || !ch.Enabled {
		return nil, VisitQueue{}, domain.Invalid("not_a_front_desk", fmt.Sprintf("channel %d is not an enabled front desk channel", id))
	}
	q, err := qr.VisitQueue(ch)
	if err != nil {
		return nil, VisitQueue{}, err
	}
	if q.Location == nil {
		q.Location = time.UTC
	}
	return ch, q, nil
}

// visitor turns a check-in's details into the inbound visit's sender, and
// returns the id of the contact they already name (0: a new contact).
func (d *Desk) visitor(ctx context.Context, c CheckIn) (*channel.Inbound, int64, error) {
	var ids []domain.Identity
	if p := strings.TrimSpace(c.Phone); p != "" {
		id, err := domain.NewIdentity(domain.IdentityPhone, p, d.region)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	if e := strings.TrimSpace(c.Email); e != "" {
		id, err := domain.NewIdentity(domain.IdentityEmail, e, d.region)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	in := &channel.Inbound{Name: c.Name}
	if number := strings.TrimSpace(c.CustomerNumber); number != "" {
		contact, err := d.store.ContactByNumber(ctx, number)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, 0, domain.Invalid("unknown_customer", fmt.Sprintf("no customer has number %q", number))
		} else if err != nil {
			return nil, 0, err
		}
		from, err := d.addressOf(ctx, contact)
		if err != nil {
			return nil, 0, err
		}
		in.From, in.Also = from, ids
		return in, contact.ID, nil
	}
	if len(ids) == 0 {
		if c.Name == "" {
			return nil, 0, domain.Invalid("unknown_visitor", "give a customer number, phone number or e-mail address, or the visitor's name")
		}
		in.From = anonymousVisitor()
		return in, 0, nil
	}
	in.From, in.Also = ids[0], ids[1:]
	for _, id := range ids {
		cid, err := d.store.ContactIDByIdentity(ctx, id)
		if err == nil {
			return in, cid, nil
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, 0, err
		}
	}
	return in, 0, nil
}

// addressOf returns an identity of contact by which Receive recognises
// them; a contact without any gets one for its customer number.
func (d *Desk) addressOf(ctx context.Context, contact *domain.Contact) (domain.Identity, error) {
	if len(contact.Identities) > 0 {
		return contact.Identities[0], nil
	}
	id := domain.Identity{Kind: domain.IdentityExternal, Value: "customer-" + contact.Number}
	if _, err := d.store.AddIdentity(ctx, contact.ID, id); err != nil {
		return domain.Identity{}, fmt.Errorf("address customer %s: %w", contact.Number, err)
	}
	return id, nil
}

// anonymousVisitor is a fresh identity for a visitor who gave only a name.
func anonymousVisitor() domain.Identity {
	b := make([]byte, 12)
	rand.Read(b)
	return domain.Identity{Kind: domain.IdentityExternal, Value: "visitor-" + hex.EncodeToString(b)}
}

// CallNextVisitor calls the longest-waiting visitor of a front desk channel
// to counter for agentID, and assigns the visit's ticket to the agent. It
// returns nil when nobody waits. Two agents calling at the same moment get
// different visitors.
func (d *Desk) CallNextVisitor(ctx context.Context, channelID, agentID int64, counter string) (*store.Visit, error) {
	if _, _, err := d.visitChannel(ctx, channelID); err != nil {
		return nil, err
	}
	counter = strings.TrimSpace(counter)
	if counter == "" || utf8.RuneCountInString(counter) > maxCounter {
		return nil, domain.Invalid("invalid_counter", fmt.Sprintf("name the counter or desk you call to, such as \"Desk 2\", in at most %d characters", maxCounter))
	}
	var v *store.Visit
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if v, err = tx.ClaimNextVisit(ctx, channelID, agentID, counter, d.now()); err != nil || v == nil {
			return err
		}
		values := map[string]any{"number": v.Label, "counter": counter, "waited_ms": v.CalledAt - v.ArrivedAt}
		if agentID != 0 {
			a, err := tx.Agent(ctx, agentID)
			if err != nil {
				return err
			}
			values["agent"] = a.Name
		}
		text := fmt.Sprintf("Visitor %s called to %s", v.Label, counter)
		events, err = d.visitProgress(ctx, tx, v, agentID, text, EventVisitCalled, values, v.CalledAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("call the next visitor of channel %d: %w", channelID, err)
	}
	if v == nil {
		return nil, nil
	}
	d.publish(ctx, events)
	if agentID != 0 {
		if _, err := d.UpdateTicket(ctx, v.TicketID, agentID, TicketChange{AssigneeID: &agentID}); err != nil {
			return nil, fmt.Errorf("assign the ticket of visitor %s: %w", v.Label, err)
		}
	}
	return v, nil
}

// FinishVisit ends a visit being served: served, or a no-show when the
// visitor did not come when called. The visit entry records the times and
// the agent's notes.
func (d *Desk) FinishVisit(ctx context.Context, visitID, agentID int64, noShow bool, notes string) (*store.Visit, error) {
	notes = strings.TrimSpace(notes)
	if utf8.RuneCountInString(notes) > maxVisitNotes {
		return nil, domain.Invalid("too_long", fmt.Sprintf("notes must be at most %d characters", maxVisitNotes))
	}
	status, name := store.VisitDone, EventVisitDone
	if noShow {
		status, name = store.VisitNoShow, EventVisitNoShow
	}
	var v *store.Visit
	var events []domain.Event
	err := d.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if v, err = tx.EndVisit(ctx, visitID, status, notes, d.now()); errors.Is(err, domain.ErrNotFound) {
			return d.notServing(ctx, tx, visitID)
		} else if err != nil {
			return err
		}
		values := map[string]any{"number": v.Label, "counter": v.Counter, "waited_ms": v.CalledAt - v.ArrivedAt}
		text := fmt.Sprintf("Visitor %s did not come to %s", v.Label, v.Counter)
		if !noShow {
			values["served_ms"] = v.FinishedAt - v.CalledAt
			text = fmt.Sprintf("Visitor %s served at %s in %s", v.Label, v.Counter, (time.Duration(v.FinishedAt-v.CalledAt) * time.Millisecond).Round(time.Second))
		}
		if notes != "" {
			values["notes"] = notes
		}
		events, err = d.visitProgress(ctx, tx, v, agentID, text, name, values, v.FinishedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish visit %d: %w", visitID, err)
	}
	d.publish(ctx, events)
	return v, nil
}

// notServing explains why a visit cannot be finished.
func (d *Desk) notServing(ctx context.Context, tx *store.Store, visitID int64) error {
	v, err := tx.Visit(ctx, visitID)
	if err != nil {
		return err
	}
	return domain.Invalid("visit_not_serving", fmt.Sprintf("visitor %s is %s, not being served; call them first", v.Label, strings.ReplaceAll(v.Status, "_", " ")))
}

// visitProgress brings the visit entry's meta up to date with v and puts
// the step on the ticket's timeline.
func (d *Desk) visitProgress(ctx context.Context, tx *store.Store, v *store.Visit, agentID int64, text, name string, values map[string]any, at int64) ([]domain.Event, error) {
	m, err := tx.Message(ctx, v.MessageID)
	if err != nil {
		return nil, err
	}
	progress := map[string]any{"status": v.Status, "counter": v.Counter, "called_at": v.CalledAt, "waited_ms": v.CalledAt - v.ArrivedAt}
	if v.FinishedAt != 0 {
		progress["finished_at"] = v.FinishedAt
		progress["notes"] = v.Notes
		if v.Status == store.VisitDone {
			progress["served_ms"] = v.FinishedAt - v.CalledAt
		}
	}
	m.Meta = visitMeta(m.Meta, progress)
	if err := tx.SetMessageMeta(ctx, m.ID, m.Meta); err != nil {
		return nil, err
	}
	t, err := tx.Ticket(ctx, v.TicketID)
	if err != nil {
		return nil, err
	}
	entry, err := timelineEvent(ctx, tx, t, agentID, text, name, values, at)
	if err != nil {
		return nil, err
	}
	ev := domain.Event{TicketID: t.ID, TeamID: t.TeamID, AssigneeID: t.AssigneeID}
	events := []domain.Event{with(ev, domain.EventMessageUpdated, nil, m), entry}
	return events, d.record(ctx, tx, events, nil)
}

// visitMeta merges values into a visit entry's meta.
func visitMeta(meta json.RawMessage, values map[string]any) json.RawMessage {
	m := map[string]any{}
	if len(meta) > 0 {
		json.Unmarshal(meta, &m)
	}
	for k, v := range values {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode visit meta: %v", err)) // only plain values go in
	}
	return b
}

// VisitorQueue is a front desk channel's queue right now.
type VisitorQueue struct {
	Waiting []*store.Visit
	Serving []*store.Visit
	// Service is the expected time at the counter: the mean of the last
	// ServiceSample served visits, DefaultVisitService without any.
	Service time.Duration
	// ExpectedWait is how long a visitor checking in now is expected to
	// wait (see ExpectedWait).
	ExpectedWait time.Duration
}

// QueueOfVisitors returns who waits and who is being served at a front desk
// channel, with the expected wait.
func (d *Desk) QueueOfVisitors(ctx context.Context, channelID int64) (*VisitorQueue, error) {
	if _, _, err := d.visitChannel(ctx, channelID); err != nil {
		return nil, err
	}
	visits, err := d.store.QueuedVisits(ctx, channelID)
	if err != nil {
		return nil, err
	}
	times, err := d.store.RecentServiceTimes(ctx, channelID, ServiceSample)
	if err != nil {
		return nil, err
	}
	q := &VisitorQueue{Waiting: []*store.Visit{}, Serving: []*store.Visit{}, Service: MeanService(times)}
	for _, v := range visits {
		if v.Status == store.VisitWaiting {
			q.Waiting = append(q.Waiting, v)
		} else {
			q.Serving = append(q.Serving, v)
		}
	}
	q.ExpectedWait = ExpectedWait(q.Service, len(q.Waiting), len(q.Serving))
	return q, nil
}

// MeanService is the mean of service times in ms, or DefaultVisitService
// when there are none.
func MeanService(times []int64) time.Duration {
	if len(times) == 0 {
		return DefaultVisitService
	}
	var sum int64
	for _, t := range times {
		sum += max(t, 0)
	}
	return time.Duration(sum/int64(len(times))) * time.Millisecond
}

// ExpectedWait is how long a visitor checking in now waits: the visitors
// ahead of them are served by the counters now busy (at least one), each
// visit taking service. Nobody waiting means no wait.
func ExpectedWait(service time.Duration, waiting, counters int) time.Duration {
	if waiting <= 0 {
		return 0
	}
	return service * time.Duration(waiting) / time.Duration(max(counters, 1))
}
