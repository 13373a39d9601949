package domain

// Trigger types: what automation rules and webhooks react to.
const (
	TriggerTicketCreated   = "ticket.created"
	TriggerTicketUpdated   = "ticket.updated"
	TriggerMessageReceived = "message.received" // a customer's message
	TriggerMessageSent     = "message.sent"     // a reply queued by an agent, the bot or a rule
	TriggerSLAWarning      = "sla.warning"
	TriggerSLABreached     = "sla.breached"
	TriggerSurveyAnswered  = "survey.answered"
	TriggerEvent           = "event"       // an external event, such as order.placed (Name)
	TriggerSchedule        = "schedule"    // rules checked over tickets every few minutes
	TriggerCallMissed      = "call.missed" // an inbound call ended without an answer
)

// TriggerTypes lists the trigger types a change can record, in the order
// they are shown.
var TriggerTypes = []string{
	TriggerTicketCreated, TriggerTicketUpdated, TriggerMessageReceived, TriggerMessageSent,
	TriggerSLAWarning, TriggerSLABreached, TriggerSurveyAnswered, TriggerEvent, TriggerCallMissed,
}

// Trigger is a change that automation reacts to. It is recorded as a task
// in the transaction that made the change, so no trigger is lost to a
// crash; it carries ids, and handlers load what they need.
type Trigger struct {
	Type      string `json:"type"`
	TicketID  int64  `json:"ticket_id,omitempty"`
	MessageID int64  `json:"message_id,omitempty"`
	ContactID int64  `json:"contact_id,omitempty"`
	SurveyID  int64  `json:"survey_id,omitempty"`
	EventID   int64  `json:"event_id,omitempty"` // the external event of TriggerEvent
	Name      string `json:"name,omitempty"`     // the external event's name
	// Depth counts the rule actions that led to this change, and RuleID
	// names the rule whose action made it: loops are cut with them.
	Depth  int   `json:"depth,omitempty"`
	RuleID int64 `json:"rule_id,omitempty"`
	At     int64 `json:"at"`
}

// ContactEvent is something another system (a web shop, an ERP) told
// about a contact, such as an order placed.
type ContactEvent struct {
	ID        int64          `json:"id"`
	Name      string         `json:"name"`
	ContactID int64          `json:"contact_id"`
	Data      map[string]any `json:"data"`
	Source    string         `json:"source,omitempty"`
	CreatedAt int64          `json:"created_at"`
}
