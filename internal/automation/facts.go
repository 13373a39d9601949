package automation

import (
	"context"
	"encoding/json"
	"maps"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// subject is what a trigger is about, loaded, and its facts.
type subject struct {
	ticket  *domain.Ticket
	contact *domain.Contact
	message *domain.Message
	event   *domain.ContactEvent
	channel *domain.Channel
	facts   Facts
}

func (s *subject) ticketID() int64 {
	if s.ticket == nil {
		return 0
	}
	return s.ticket.ID
}

func (s *subject) contactID() int64 {
	if s.contact == nil {
		return 0
	}
	return s.contact.ID
}

// load reads what a trigger names and makes its facts.
func (e *Engine) load(ctx context.Context, t domain.Trigger) (*subject, error) {
	s := &subject{}
	var err error
	if t.TicketID != 0 {
		if s.ticket, err = e.store.Ticket(ctx, t.TicketID); err != nil {
			return nil, err
		}
		t.ContactID = s.ticket.ContactID
	}
	if t.MessageID != 0 {
		if s.message, err = e.store.Message(ctx, t.MessageID); err != nil {
			return nil, err
		}
	}
	if t.EventID != 0 {
		if s.event, err = e.store.ContactEvent(ctx, t.EventID); err != nil {
			return nil, err
		}
		t.ContactID = s.event.ContactID
	}
	if t.ContactID != 0 {
		if s.contact, err = e.store.Contact(ctx, t.ContactID); err != nil {
			return nil, err
		}
	}
	var chID int64
	switch {
	case s.message != nil && s.message.ChannelID != 0:
		chID = s.message.ChannelID
	case s.ticket != nil:
		chID = s.ticket.ChannelID
	}
	if chID != 0 {
		if s.channel, err = e.store.Channel(ctx, chID); err != nil {
			return nil, err
		}
	}
	f := Facts{}
	var survey *domain.Survey
	if t.SurveyID != 0 {
		if survey, err = e.store.Survey(ctx, t.SurveyID); err != nil {
			return nil, err
		}
	}
	if s.event != nil {
		// An event's data is at the top level too, for short templates
		// ({{.order.number}}), without hiding Loket's own facts.
		maps.Copy(f, s.event.Data)
		f["event"] = map[string]any{"id": s.event.ID, "name": s.event.Name, "data": plain(s.event.Data), "source": s.event.Source}
	}
	put := func(name string, v any) {
		if p := plain(v); p != nil {
			f[name] = p
		}
	}
	e.addKnown(f, desk.Known{Ticket: s.ticket, Message: s.message, Contact: s.contact})
	if s.ticket != nil {
		if s.ticket.AssigneeID != 0 {
			if a, err := e.store.Agent(ctx, s.ticket.AssigneeID); err == nil {
				f["agent"] = map[string]any{"id": a.ID, "name": a.Name, "email": a.Email}
			}
		}
	}
	if s.channel != nil {
		f["channel"] = map[string]any{"id": s.channel.ID, "kind": s.channel.Kind, "name": s.channel.Name}
	}
	if s.message != nil && s.message.Kind == domain.KindCall && len(s.message.Meta) > 0 {
		put("call", s.message.Meta) // the call an entry records (domain.Call)
	}
	if survey != nil {
		put("survey", survey)
	}
	f["time"] = e.timeFacts(ctx, s.channel)
	s.facts = f
	if s.ticket != nil {
		e.businessHours(ctx, s)
	}
	return s, nil
}

// businessHours adds the business hours since the customer's and the
// agents' last message, by the channel's calendar, for reminders that
// count only the hours the team works.
func (e *Engine) businessHours(ctx context.Context, s *subject) {
	if s.channel == nil || e.desk == nil {
		return
	}
	// A nil calendar is a team always at work.
	cal, err := e.desk.Hours().ForChannel(ctx, s.channel)
	if err != nil {
		return
	}
	tf := s.facts["ticket"].(map[string]any)
	now := e.now()
	for name, at := range map[string]int64{"customer": s.ticket.LastCustomerAt, "agent": s.ticket.LastAgentAt, "solved": s.ticket.SolvedAt} {
		if at > 0 {
			tf["business_hours_since_"+name] = cal.Between(time.UnixMilli(at), now).Hours()
		}
	}
}

// setTicket makes a ticket an action opened the subject's ticket, so the
// rule's further actions and its record are on it.
func (s *subject) setTicket(t *domain.Ticket) {
	s.ticket = t
	s.facts["ticket"] = plain(t)
}

// addKnown puts the facts of a ticket, message and contact in f: what
// the desk knows in a change's transaction, and the start of every
// trigger's facts.
func (e *Engine) addKnown(f Facts, k desk.Known) {
	if k.Ticket != nil {
		tf, _ := plain(k.Ticket).(map[string]any)
		now := e.now().UnixMilli()
		for name, at := range map[string]int64{"customer": k.Ticket.LastCustomerAt, "agent": k.Ticket.LastAgentAt,
			"solved": k.Ticket.SolvedAt, "update": k.Ticket.UpdatedAt, "created": k.Ticket.CreatedAt} {
			if at > 0 {
				tf["hours_since_"+name] = float64(now-at) / float64(time.Hour.Milliseconds())
			}
		}
		f["ticket"] = tf
	}
	if k.Contact != nil {
		cf, _ := plain(k.Contact).(map[string]any)
		for _, id := range k.Contact.Identities {
			if _, ok := cf[string(id.Kind)]; !ok {
				cf[string(id.Kind)] = id.Value // contact.email, contact.phone: the first of each
			}
		}
		f["contact"] = cf
	}
	if k.Message != nil {
		f["message"] = plain(k.Message)
	}
}

// knownFacts are the facts of what a transaction knows, for Wants.
func (e *Engine) knownFacts(k desk.Known) Facts {
	f := Facts{}
	e.addKnown(f, k)
	return f
}

// timeFacts says whether it is within the channel's business hours now,
// and the hour and weekday there.
func (e *Engine) timeFacts(ctx context.Context, ch *domain.Channel) map[string]any {
	now := e.now()
	open := true
	if ch != nil && e.desk != nil {
		if cal, err := e.desk.Hours().ForChannel(ctx, ch); err == nil && cal != nil {
			open = cal.IsOpen(now)
			now = now.In(cal.Location())
		}
	}
	return map[string]any{"business_hours": open, "hour": float64(now.Hour()), "weekday": now.Weekday().String()}
}

// plain turns a value into the JSON shape conditions and templates see:
// maps, lists, strings, float64 and bools.
func plain(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
