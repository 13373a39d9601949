package automation

import (
	"context"
	"encoding/json"
	"maps"
	"time"

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
	if s.ticket != nil {
		put("ticket", s.ticket)
		tf := f["ticket"].(map[string]any)
		now := e.now().UnixMilli()
		for name, at := range map[string]int64{"customer": s.ticket.LastCustomerAt, "agent": s.ticket.LastAgentAt,
			"solved": s.ticket.SolvedAt, "update": s.ticket.UpdatedAt, "created": s.ticket.CreatedAt} {
			if at > 0 {
				tf["hours_since_"+name] = float64(now-at) / float64(time.Hour.Milliseconds())
			}
		}
		if s.ticket.AssigneeID != 0 {
			if a, err := e.store.Agent(ctx, s.ticket.AssigneeID); err == nil {
				f["agent"] = map[string]any{"id": a.ID, "name": a.Name, "email": a.Email}
			}
		}
	}
	if s.contact != nil {
		put("contact", s.contact)
		cf := f["contact"].(map[string]any)
		for _, id := range s.contact.Identities {
			if _, ok := cf[string(id.Kind)]; !ok {
				cf[string(id.Kind)] = id.Value // contact.email, contact.phone: the first of each
			}
		}
	}
	if s.message != nil {
		put("message", s.message)
	}
	if s.channel != nil {
		f["channel"] = map[string]any{"id": s.channel.ID, "kind": s.channel.Kind, "name": s.channel.Name}
	}
	if survey != nil {
		put("survey", survey)
	}
	f["time"] = e.timeFacts(ctx, s.channel)
	s.facts = f
	return s, nil
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
