package automation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// Planned is what an action would do, for testing a rule before it is
// enabled.
type Planned struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Preview     string `json:"preview,omitempty"`
	Error       string `json:"error,omitempty"`
	// MessageID is the message a send queued.
	MessageID int64 `json:"-"`
}

// act does one action (or, with dry, only says what it would do) and
// returns a short account of it, such as "priority → high". key is the
// action's own key, for the changes it makes in more than one step.
func (e *Engine) act(ctx context.Context, key string, a Action, s *subject) (string, error) {
	p, err := e.do(ctx, key, a, s, false)
	return p.Description, err
}

// Plan says what each action would do to the subject, changing nothing.
func (e *Engine) plan(ctx context.Context, actions []Action, s *subject) []Planned {
	out := make([]Planned, len(actions))
	for i, a := range actions {
		p, err := e.do(ctx, "", a, s, true)
		p.Type = a.Type
		if err != nil {
			p.Error = err.Error()
		}
		out[i] = p
	}
	return out
}

func (e *Engine) do(ctx context.Context, key string, a Action, s *subject, dry bool) (Planned, error) {
	lang := ""
	if s.contact != nil {
		lang = s.contact.Language
	}
	change := func(desc string, ch desk.TicketChange) (Planned, error) {
		if s.ticket == nil {
			return Planned{Description: desc}, tasks.Permanent(errors.New("the trigger has no ticket"))
		}
		if dry {
			return Planned{Description: desc}, nil
		}
		_, err := e.desk.UpdateTicket(ctx, s.ticket.ID, 0, ch)
		return Planned{Description: desc}, err
	}
	switch a.Type {
	case ActSetStatus:
		st := domain.TicketStatus(a.Status)
		return change("status → "+a.Status, desk.TicketChange{Status: &st})
	case ActSetPriority:
		p := domain.Priority(a.Priority)
		return change("priority → "+a.Priority, desk.TicketChange{Priority: &p})
	case ActSetTeam:
		name := "none"
		if a.TeamID != 0 {
			t, err := e.store.Team(ctx, a.TeamID)
			if err != nil {
				return Planned{Description: fmt.Sprintf("team → %d", a.TeamID)}, err
			}
			name = t.Name
		}
		id := a.TeamID
		return change("team → "+name, desk.TicketChange{TeamID: &id})
	case ActAssign:
		name := "nobody"
		if a.AgentID != 0 {
			ag, err := e.store.Agent(ctx, a.AgentID)
			if err != nil {
				return Planned{Description: fmt.Sprintf("assignee → %d", a.AgentID)}, err
			}
			name = ag.Name
		}
		id := a.AgentID
		return change("assignee → "+name, desk.TicketChange{AssigneeID: &id})
	case ActStartBot:
		active := domain.BotActive
		return change("the FAQ bot takes the conversation", desk.TicketChange{BotState: &active})
	case ActAddTags, ActRemoveTags:
		if s.ticket == nil {
			return change("", desk.TicketChange{})
		}
		tags := slices.Clone(s.ticket.Tags)
		desc := "tags + " + strings.Join(a.Tags, ", ")
		if a.Type == ActAddTags {
			for _, t := range a.Tags {
				if !slices.Contains(tags, t) {
					tags = append(tags, t)
				}
			}
		} else {
			desc = "tags − " + strings.Join(a.Tags, ", ")
			tags = slices.DeleteFunc(tags, func(t string) bool { return slices.Contains(a.Tags, t) })
		}
		return change(desc, desk.TicketChange{Tags: &tags})
	case ActNote, ActReply:
		text, err := Render(a.Text, s.facts, lang)
		p := Planned{Description: "internal note", Preview: text}
		if a.Type == ActReply {
			p.Description = "reply on the ticket's channel"
			if a.Approval {
				p.Description += ", held for approval"
			}
		}
		if err != nil || s.ticket == nil {
			if err == nil {
				err = tasks.Permanent(errors.New("the trigger has no ticket"))
			}
			return p, err
		}
		if dry {
			return p, nil
		}
		_, err = e.desk.Send(ctx, &desk.Outgoing{TicketID: s.ticket.ID, Note: a.Type == ActNote, Text: text, AuthorType: domain.AuthorSystem,
			Approval: a.Approval && a.Type == ActReply})
		return p, err
	case ActEmail:
		return e.email(ctx, a, s, lang, dry)
	case ActSendTemplate:
		return e.sendTemplate(ctx, key, a, s, lang, dry)
	case ActCreateTicket:
		subject, err := Render(a.Subject, s.facts, lang)
		p := Planned{Description: "new ticket: " + subject}
		if err != nil || s.contact == nil {
			if err == nil {
				err = tasks.Permanent(errors.New("the trigger has no contact"))
			}
			return p, err
		}
		if dry {
			return p, nil
		}
		var chID int64
		if s.channel != nil {
			chID = s.channel.ID
		}
		t, err := e.openOnce(ctx, key, desk.NewTicket{ContactID: s.contact.ID, ChannelID: chID, TeamID: a.TeamID,
			Subject: subject, Priority: domain.Priority(a.Priority), Reason: "Opened by a rule"})
		if err == nil {
			p.Description = fmt.Sprintf("new ticket #%d: %s", t.Number, subject)
			s.setTicket(t)
		}
		return p, err
	case ActWebhook:
		p := Planned{Description: "call " + a.URL}
		if dry {
			return p, nil
		}
		body, err := webhookBody(a.URL, s)
		if err != nil {
			return p, err
		}
		// The task's key makes a second run of the action add nothing.
		_, _, err = e.store.AddTask(ctx, store.Task{Kind: TaskRuleWebhook, Key: key, Payload: body, MaxAttempts: 8})
		return p, err
	}
	return Planned{}, tasks.Permanent(fmt.Errorf("unknown action %q", a.Type))
}

// email sends a text to an internal address, such as a team lead's, from
// a channel that reaches e-mail addresses; it shows on the ticket.
func (e *Engine) email(ctx context.Context, a Action, s *subject, lang string, dry bool) (Planned, error) {
	text, err := Render(a.Text, s.facts, lang)
	p := Planned{Description: "e-mail to " + a.To, Preview: text}
	if err != nil {
		return p, err
	}
	if s.ticket == nil {
		return p, tasks.Permanent(errors.New("the trigger has no ticket"))
	}
	ch, err := e.channelReaching(ctx, a.ChannelIDs, domain.IdentityEmail)
	if err != nil || dry {
		return p, err
	}
	addr, err := domain.NormalizeEmail(a.To)
	if err != nil {
		return p, err
	}
	_, err = e.desk.Send(ctx, &desk.Outgoing{TicketID: s.ticket.ID, ChannelID: ch.ID, Text: text, AuthorType: domain.AuthorSystem,
		To: &domain.Identity{Kind: domain.IdentityEmail, Value: addr}, Approval: a.Approval})
	return p, err
}

// channelReaching is the first of the given channels (or of all, when
// none are given) that is enabled and reaches addresses of kind.
func (e *Engine) channelReaching(ctx context.Context, ids []int64, kind domain.IdentityKind) (*domain.Channel, error) {
	var chans []*domain.Channel
	if len(ids) == 0 {
		all, err := e.store.Channels(ctx, "")
		if err != nil {
			return nil, err
		}
		chans = all
	}
	for _, id := range ids {
		ch, err := e.store.Channel(ctx, id)
		if err != nil {
			return nil, err
		}
		chans = append(chans, ch)
	}
	for _, ch := range chans {
		if ch.Enabled && slices.Contains(e.channels.Capabilities(ch.Kind).Identities, kind) {
			return ch, nil
		}
	}
	return nil, tasks.Permanent(fmt.Errorf("no enabled channel sends to %s addresses", kind))
}

// sendTemplate sends a message template, in the contact's language, on
// the first of the action's channels that can reach the contact now: a
// channel the contact opted out of, has no address on, or whose send
// window is closed is passed over for the next. A trigger without a ticket
// (an event from a web shop) gets one, solved, so that the customer's
// answer reopens it with the message above.
func (e *Engine) sendTemplate(ctx context.Context, key string, a Action, s *subject, lang string, dry bool) (Planned, error) {
	p := Planned{Description: "send " + a.Template}
	if s.contact == nil {
		return p, tasks.Permanent(errors.New("the trigger has no contact"))
	}
	tpl, err := e.template(ctx, a.Template, lang)
	if err != nil {
		return p, err
	}
	text, err := Render(tpl.Body, s.facts, tpl.Language)
	if err != nil {
		return p, err
	}
	subject, err := Render(tpl.Subject, s.facts, tpl.Language)
	if err != nil {
		return p, err
	}
	p.Preview = text
	ids := a.ChannelIDs
	if len(ids) == 0 {
		if ids, err = e.candidates(ctx, s); err != nil {
			return p, err
		}
	}
	var refused []string
	for _, id := range ids {
		ch, err := e.store.Channel(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			refused = append(refused, fmt.Sprintf("channel %d does not exist", id))
			continue
		} else if err != nil {
			return p, err
		}
		why, err := e.unreachable(ctx, ch, s.contact)
		if err != nil {
			return p, err
		}
		if why != "" {
			refused = append(refused, ch.Name+": "+why)
			continue
		}
		at, err := e.sendTime(ctx, ch, a.SendHours)
		if err != nil {
			return p, err
		}
		if at > 0 {
			at += a.spread
		}
		p.Description = fmt.Sprintf("%s on %s", a.Template, ch.Name)
		if at > 0 {
			p.Description += " at " + time.UnixMilli(at).UTC().Format("2006-01-02 15:04 UTC")
		}
		if dry {
			return p, nil
		}
		ticketID, err := e.ticketFor(ctx, key, s, ch, subject)
		if err != nil {
			return p, err
		}
		out := &desk.Outgoing{TicketID: ticketID, ChannelID: ch.ID, Text: text, AuthorType: domain.AuthorSystem, SendAt: at, Approval: a.Approval}
		if out.Template, err = e.providerTemplate(a, ch, s.facts, tpl.Language); err != nil {
			return p, err
		}
		m, err := e.desk.Send(ctx, out)
		if err == nil {
			p.MessageID = m.ID
		}
		var de *domain.Error
		if errors.As(err, &de) && slices.Contains([]string{"opted_out", "outside_window", "no_address", "unreachable_address"}, de.Code) {
			refused = append(refused, ch.Name+": "+de.Message)
			continue
		}
		return p, err
	}
	return p, tasks.Permanent(fmt.Errorf("no channel reaches the customer: %s", strings.Join(refused, "; ")))
}

// candidates are the channels an action without channels tries: the
// trigger's own first, then the channels that reach the fewest kinds of
// address (an SMS number before a generic API channel), by id.
func (e *Engine) candidates(ctx context.Context, s *subject) ([]int64, error) {
	all, err := e.store.Channels(ctx, "")
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b *domain.Channel) int {
		return len(e.channels.Capabilities(a.Kind).Identities) - len(e.channels.Capabilities(b.Kind).Identities)
	})
	var ids []int64
	if s.channel != nil {
		ids = append(ids, s.channel.ID)
	}
	for _, ch := range all {
		if (s.channel == nil || ch.ID != s.channel.ID) && len(e.channels.Capabilities(ch.Kind).Identities) > 0 {
			ids = append(ids, ch.ID)
		}
	}
	return ids, nil
}

// providerTemplate fills in the action's provider template for a channel
// that sends such templates, nil for others.
func (e *Engine) providerTemplate(a Action, ch *domain.Channel, f Facts, lang string) (*channel.TemplateRef, error) {
	if a.ProviderTemplate == nil || !e.channels.Capabilities(ch.Kind).Templates {
		return nil, nil
	}
	ref := *a.ProviderTemplate
	ref.Params = make([]string, len(a.ProviderTemplate.Params))
	for i, p := range a.ProviderTemplate.Params {
		v, err := Render(p, f, lang)
		if err != nil {
			return nil, err
		}
		ref.Params[i] = v
	}
	return &ref, nil
}

// unreachable says why a channel cannot reach a contact, "" when it can
// as far as the contact's addresses, opt-outs and opt-ins tell.
func (e *Engine) unreachable(ctx context.Context, ch *domain.Channel, c *domain.Contact) (string, error) {
	if !ch.Enabled {
		return "disabled", nil
	}
	if slices.Contains(c.OptOuts, ch.Kind) {
		return "the customer opted out", nil
	}
	caps := e.channels.Capabilities(ch.Kind)
	if caps.NoReplies {
		return "it carries no messages", nil
	}
	if caps.SendWindowSeconds > 0 {
		// Such channels (WhatsApp) allow messages a business starts only
		// to customers who opted in: here, who wrote on the channel before.
		last, err := e.store.LastInboundAt(ctx, c.ID, ch.ID)
		if err != nil {
			return "", err
		}
		if last == 0 {
			return "the customer has not written on this channel, so has not opted in to it", nil
		}
	}
	if len(caps.Identities) == 0 {
		return "", nil
	}
	for _, id := range c.Identities {
		if slices.Contains(caps.Identities, id.Kind) {
			return "", nil
		}
	}
	return "the customer has no address it reaches", nil
}

// template picks a template's text in the language, else in English,
// else the first there is.
func (e *Engine) template(ctx context.Context, name, lang string) (*store.MessageTemplate, error) {
	variants, err := e.store.TemplateVariants(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(variants) == 0 {
		return nil, tasks.Permanent(fmt.Errorf("no message template named %q", name))
	}
	for _, want := range []string{lang, "en"} {
		for _, v := range variants {
			if v.Language == want {
				return v, nil
			}
		}
	}
	return variants[0], nil
}

// ticketFor is the trigger's ticket, or one opened (once per action key)
// for a proactive message.
func (e *Engine) ticketFor(ctx context.Context, key string, s *subject, ch *domain.Channel, subject string) (int64, error) {
	if s.ticket != nil {
		return s.ticket.ID, nil
	}
	if subject == "" && s.event != nil {
		subject = s.event.Name
	}
	t, err := e.openOnce(ctx, key+":ticket", desk.NewTicket{ContactID: s.contact.ID, ChannelID: ch.ID,
		Subject: subject, Status: domain.StatusSolved, Reason: "Opened for a proactive message"})
	if err != nil {
		return 0, err
	}
	s.setTicket(t)
	return t.ID, nil
}

// openOnce opens a ticket at most once under key: run again, it returns
// the ticket the first run opened.
func (e *Engine) openOnce(ctx context.Context, key string, nt desk.NewTicket) (*domain.Ticket, error) {
	t, err := e.desk.OpenTicket(desk.Once(ctx, key), nt)
	if !errors.Is(err, desk.ErrDone) {
		return t, err
	}
	id, err := e.store.ActionKeyRef(ctx, key)
	if err != nil {
		return nil, err
	}
	return e.store.Ticket(ctx, id)
}

// sendTime is when a message may go out on ch within hours ("08:00-21:00"
// in the channel's time zone): 0 for now, else the next start.
func (e *Engine) sendTime(ctx context.Context, ch *domain.Channel, hours string) (int64, error) {
	if hours == "" {
		return 0, nil
	}
	w, err := parseHours(hours)
	if err != nil {
		return 0, tasks.Permanent(err)
	}
	loc := time.UTC
	if cal, err := e.desk.Hours().ForChannel(ctx, ch); err == nil && cal != nil {
		loc = cal.Location()
	}
	now := e.now().In(loc)
	next := w.next(now)
	if next.Equal(now) {
		return 0, nil
	}
	return next.UnixMilli(), nil
}
