package automation

import (
	"context"
	"encoding/json"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Built-in rules and templates, added on a desk's first start; teams edit
// or disable them like their own.

// OrderTemplate is the message template of the built-in order rule.
const OrderTemplate = "order-delivery"

var orderTemplates = []store.MessageTemplate{
	{Name: OrderTemplate, Language: "en", Body: "Your order {{.order.number}} arrives on {{.order.delivery_date | date}}. To change the delivery: {{.order.change_url}}"},
	{Name: OrderTemplate, Language: "nl", Body: "Je bestelling {{.order.number}} wordt bezorgd op {{.order.delivery_date | date}}. Wijzigen kan hier: {{.order.change_url}}"},
	{Name: OrderTemplate, Language: "de", Body: "Ihre Bestellung {{.order.number}} kommt am {{.order.delivery_date | date}}. Lieferung ändern: {{.order.change_url}}"},
}

// Seed adds the built-in rule set, the team complaints go to and the
// order template, in tx. It returns the complaints team.
func Seed(ctx context.Context, tx *store.Store, by string) (*domain.Team, error) {
	complaints := &domain.Team{Name: "Complaints", Mode: domain.ModeMostFree}
	if err := tx.CreateTeam(ctx, complaints); err != nil {
		return nil, err
	}
	for _, t := range orderTemplates {
		if err := tx.SaveMessageTemplate(ctx, &t); err != nil {
			return nil, err
		}
	}
	rules := []struct {
		builtin, name, description, trigger, event string
		cond                                       Cond
		actions                                    []Action
	}{
		{"complaints", "Complaints go to the complaints team",
			"A message that speaks of a complaint, or a ticket tagged complaint, goes to the complaints team with high priority.",
			domain.TriggerMessageReceived, "",
			Cond{Any: []Cond{
				{Field: "message.text", Op: "contains_word", Value: []any{"complaint", "complain", "klacht", "klagen", "Beschwerde", "beschweren", "réclamation", "plainte"}},
				{Field: "ticket.tags", Op: "eq", Value: "complaint"},
			}},
			[]Action{{Type: ActAddTags, Tags: []string{"complaint"}}, {Type: ActSetTeam, TeamID: complaints.ID}, {Type: ActSetPriority, Priority: string(domain.PriorityHigh)}}},
		{"bad_review", "Bad reviews go to the complaints team",
			"A review of one or two stars goes to the complaints team with high priority, which gives it the shorter SLA targets.",
			domain.TriggerMessageReceived, "",
			Cond{All: []Cond{
				{Field: "message.public.rating", Op: "gte", Value: 1},
				{Field: "message.public.rating", Op: "lte", Value: 2},
			}},
			[]Action{{Type: ActAddTags, Tags: []string{"complaint", "review"}}, {Type: ActSetTeam, TeamID: complaints.ID}, {Type: ActSetPriority, Priority: string(domain.PriorityHigh)}}},
		{"urgent", "Urgent words raise the priority",
			"A message that says it is urgent gets high priority.",
			domain.TriggerMessageReceived, "",
			Cond{All: []Cond{
				{Field: "message.text", Op: "contains_word", Value: []any{"urgent", "asap", "emergency", "spoed", "dringend", "eilig", "Notfall"}},
				{Field: "ticket.priority", Op: "in", Value: []any{"low", "normal"}},
			}},
			[]Action{{Type: ActSetPriority, Priority: string(domain.PriorityHigh)}}},
		{"vip", "VIP contacts skip the queue",
			"A new ticket of a contact whose attribute vip is true gets urgent priority, which puts it first in its queue.",
			domain.TriggerTicketCreated, "",
			Cond{All: []Cond{{Field: "contact.attributes.vip", Op: "eq", Value: true}}},
			[]Action{{Type: ActSetPriority, Priority: string(domain.PriorityUrgent)}}},
		{"order", "Order placed: delivery date to the customer",
			"When the web shop posts order.placed, the customer gets the delivery date and a link to change it, in their language, between 08:00 and 21:00, on the first channel that reaches them.",
			domain.TriggerEvent, "order.placed",
			Cond{All: []Cond{{Field: "order.delivery_date", Op: "exists"}}},
			[]Action{{Type: ActSendTemplate, Template: OrderTemplate, SendHours: "08:00-21:00"}}},
	}
	for i, r := range rules {
		cond, err := json.Marshal(r.cond)
		if err != nil {
			return nil, err
		}
		acts, err := json.Marshal(r.actions)
		if err != nil {
			return nil, err
		}
		sr := &store.Rule{Name: r.name, Description: r.description, Trigger: r.trigger, EventName: r.event, Enabled: true,
			Position: i, Conditions: cond, Actions: acts, Builtin: r.builtin, UpdatedBy: by}
		if _, err := FromStore(sr); err != nil {
			return nil, fmt.Errorf("built-in rule %s: %w", r.builtin, err)
		}
		if err := tx.SaveRule(ctx, sr); err != nil {
			return nil, err
		}
	}
	return complaints, nil
}
