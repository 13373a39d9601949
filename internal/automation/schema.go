package automation

import (
	"context"
	"maps"

	"loket.dev/loket/internal/domain"
)

// Field is a fact conditions can compare, for building a rule editor.
type Field struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // text, enum, number, bool, list
	Values []string `json:"values,omitempty"`
}

// Param is an action's parameter.
type Param struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // enum, team, agent, tags, text, template, channels, email, url, hours
	Values []string `json:"values,omitempty"`
}

// Named is a trigger with its label in English.
type Named struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// OpDoc is an operator and the field types it applies to.
type OpDoc struct {
	Name  string   `json:"name"`
	Types []string `json:"types"`
}

// SchemaDoc describes what rules can say, for a rule editor.
type SchemaDoc struct {
	Triggers []Named             `json:"triggers"`
	Fields   []Field             `json:"fields"`
	Ops      []OpDoc             `json:"ops"`
	Actions  []ActionDoc         `json:"actions"`
	Examples map[string][]string `json:"examples"`
	Note     string              `json:"note"`
}

// ActionDoc is an action type with its parameters.
type ActionDoc struct {
	Type   string  `json:"type"`
	Params []Param `json:"params"`
}

// Schema lists triggers, the common fields, operators and actions. Any
// other dotted path into the facts (contact.attributes.*, event.data.*)
// may be compared too.
func Schema() SchemaDoc {
	statuses := []string{"new", "open", "pending", "on_hold", "solved", "closed"}
	priorities := []string{"low", "normal", "high", "urgent"}
	all := []string{"text", "enum", "number", "bool", "list"}
	textual := []string{"text", "enum", "list"}
	return SchemaDoc{
		Triggers: []Named{
			{domain.TriggerTicketCreated, "Ticket created"},
			{domain.TriggerTicketUpdated, "Ticket updated"},
			{domain.TriggerMessageReceived, "Message received"},
			{domain.TriggerMessageSent, "Reply sent"},
			{domain.TriggerSLAWarning, "SLA warning"},
			{domain.TriggerSLABreached, "SLA breached"},
			{domain.TriggerSurveyAnswered, "Survey answered (low score)"},
			{domain.TriggerEvent, "External event"},
			{domain.TriggerSchedule, "Schedule (checked every minute)"},
			{domain.TriggerCallMissed, "Missed call"},
		},
		Fields: []Field{
			{Name: "ticket.status", Type: "enum", Values: statuses},
			{Name: "ticket.priority", Type: "enum", Values: priorities},
			{Name: "ticket.subject", Type: "text"},
			{Name: "ticket.tags", Type: "list"},
			{Name: "ticket.team_id", Type: "number"},
			{Name: "ticket.assignee_id", Type: "number"},
			{Name: "ticket.number", Type: "number"},
			{Name: "ticket.sla_breached", Type: "bool"},
			{Name: "ticket.public", Type: "bool"},
			{Name: "ticket.hours_since_customer", Type: "number"},
			{Name: "ticket.hours_since_agent", Type: "number"},
			{Name: "ticket.hours_since_solved", Type: "number"},
			{Name: "ticket.hours_since_update", Type: "number"},
			{Name: "ticket.business_hours_since_customer", Type: "number"},
			{Name: "ticket.business_hours_since_agent", Type: "number"},
			{Name: "ticket.business_hours_since_solved", Type: "number"},
			{Name: "message.text", Type: "text"},
			{Name: "message.subject", Type: "text"},
			{Name: "message.public.rating", Type: "number"},
			{Name: "message.public.url", Type: "text"},
			{Name: "contact.name", Type: "text"},
			{Name: "contact.language", Type: "text"},
			{Name: "contact.number", Type: "text"},
			{Name: "contact.email", Type: "text"},
			{Name: "contact.phone", Type: "text"},
			{Name: "contact.verified", Type: "bool"},
			{Name: "contact.attributes.vip", Type: "bool"},
			{Name: "channel.kind", Type: "text"},
			{Name: "channel.name", Type: "text"},
			{Name: "call.customer", Type: "text"},
			{Name: "call.line", Type: "text"},
			{Name: "call.voicemail_url", Type: "text"},
			{Name: "survey.kind", Type: "enum", Values: []string{"csat", "nps"}},
			{Name: "survey.score", Type: "number"},
			{Name: "survey.comment", Type: "text"},
			{Name: "event.name", Type: "text"},
			{Name: "time.business_hours", Type: "bool"},
			{Name: "time.hour", Type: "number"},
			{Name: "time.weekday", Type: "enum", Values: []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}},
		},
		Ops: []OpDoc{
			{"eq", all}, {"ne", all}, {"in", textual}, {"not_in", textual},
			{"contains", textual}, {"not_contains", textual}, {"contains_word", []string{"text"}}, {"starts_with", []string{"text"}},
			{"regex", []string{"text"}}, {"gt", []string{"number"}}, {"gte", []string{"number"}}, {"lt", []string{"number"}},
			{"lte", []string{"number"}}, {"exists", all}, {"not_exists", all},
		},
		Actions: []ActionDoc{
			{ActSetStatus, []Param{{Name: "status", Type: "enum", Values: statuses}}},
			{ActSetPriority, []Param{{Name: "priority", Type: "enum", Values: priorities}}},
			{ActSetTeam, []Param{{Name: "team_id", Type: "team"}}},
			{ActAssign, []Param{{Name: "agent_id", Type: "agent"}}},
			{ActAddTags, []Param{{Name: "tags", Type: "tags"}}},
			{ActRemoveTags, []Param{{Name: "tags", Type: "tags"}}},
			{ActNote, []Param{{Name: "text", Type: "text"}}},
			{ActReply, []Param{{Name: "text", Type: "text"}, {Name: "approval", Type: "bool"}}},
			{ActSendTemplate, []Param{{Name: "template", Type: "template"}, {Name: "channel_ids", Type: "channels"}, {Name: "send_hours", Type: "hours"}, {Name: "provider_template", Type: "provider_template"}, {Name: "approval", Type: "bool"}}},
			{ActEmail, []Param{{Name: "to", Type: "email"}, {Name: "text", Type: "text"}, {Name: "channel_ids", Type: "channels"}, {Name: "approval", Type: "bool"}}},
			{ActCreateTicket, []Param{{Name: "subject", Type: "text"}, {Name: "team_id", Type: "team"}, {Name: "priority", Type: "enum", Values: priorities}}},
			{ActWebhook, []Param{{Name: "url", Type: "url"}}},
			{ActStartBot, []Param{}},
		},
		Examples: map[string][]string{
			"event.data": {"order.number", "order.delivery_date", "order.change_url"},
		},
		Note: "Any dotted path into the facts can be compared, such as contact.attributes.segment or order.total for an event's data. Texts are Go templates: {{.contact.name}}, {{.order.delivery_date | date}}.",
	}
}

// PreviewInput is a template to fill with a ticket's, contact's or
// event's facts, or with free data.
type PreviewInput struct {
	Subject, Body, Language string
	TicketID, ContactID     int64
	EventID                 int64
	Data                    map[string]any
}

// Preview fills a template as a rule would, with the facts of what the
// input names; a missing value is a TemplateError.
func (e *Engine) Preview(ctx context.Context, in PreviewInput) (subject, body string, err error) {
	f := Facts{}
	if in.TicketID != 0 || in.ContactID != 0 || in.EventID != 0 {
		t := domain.Trigger{TicketID: in.TicketID, ContactID: in.ContactID, EventID: in.EventID}
		if in.TicketID != 0 {
			if t.MessageID, err = e.store.LatestInbound(ctx, in.TicketID); err != nil {
				return "", "", err
			}
		}
		s, err := e.load(ctx, t)
		if err != nil {
			return "", "", err
		}
		f = s.facts
	}
	maps.Copy(f, in.Data)
	lang := in.Language
	if lang == "" {
		if c, ok := f.Lookup("contact.language"); ok {
			lang = text(c)
		}
	}
	if subject, err = Render(in.Subject, f, lang); err != nil {
		return "", "", err
	}
	body, err = Render(in.Body, f, lang)
	return subject, body, err
}
