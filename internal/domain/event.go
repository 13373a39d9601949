package domain

// Event types pushed to agents after a change is committed.
const (
	EventTicketCreated  = "ticket.created"
	EventTicketUpdated  = "ticket.updated"
	EventMessageCreated = "message.created"
	EventMessageUpdated = "message.updated"
	EventSLAWarning     = "sla.warning"
	EventSLABreached    = "sla.breached"
	// Agents' presence on a ticket, for collision warnings; not stored.
	EventTicketViewing = "ticket.viewing"
	EventTicketTyping  = "ticket.typing"
	EventTicketLeft    = "ticket.left"
	// EventContactTyping tells agents who can see a ticket that its
	// customer is typing; Agent, when set, carries the customer's display
	// name (id 0). Not stored.
	EventContactTyping = "ticket.contact_typing"
	// EventAgentMentioned tells an agent that an internal note names them.
	// It is addressed through AssigneeID (the mentioned agent, no team) so
	// the hub delivers it to that agent even when the ticket is not theirs;
	// it is published only when that agent may see the ticket. Agent is the
	// note's writer. Supervisors receive it too; clients show it only to the
	// agent it names.
	EventAgentMentioned = "agent.mentioned"
	// Routing: an agent's presence or settings changed, a team's settings
	// changed. They carry ids only; the router reloads what it needs.
	EventAgentPresence = "agent.presence"
	EventAgentUpdated  = "agent.updated"
	EventTeamUpdated   = "team.updated"
	// Between nodes only, never to browsers: an agent asks the routing
	// leader for its next ticket, and the leader's answer.
	EventRoutingNext     = "routing.next"
	EventRoutingNextDone = "routing.next.done"
	// Between nodes only: a channel was created or its settings changed
	// (ChannelID), so connectors such as the IMAP watcher start or restart
	// at once.
	EventChannelCreated = "channel.created"
	EventChannelUpdated = "channel.updated"
	// EventSLAChanged, between nodes only: a calendar, SLA policy or
	// channel changed, so cached business hours are stale.
	EventSLAChanged = "sla.changed"
	// EventSurveyAnswered tells that a customer gave a low score (CSAT 1
	// or 2, NPS 0 to 6), with the survey in Survey, so rules can follow up.
	EventSurveyAnswered = "survey.answered"
	// EventWebhooksChanged, between nodes only: a webhook was added,
	// changed or removed, so cached subscriptions are stale.
	EventWebhooksChanged = "webhook.changed"
	// EventWebhookDisabled tells admins, and only them, that Loket turned
	// a webhook off after repeated failed deliveries (Webhook says which
	// and why).
	EventWebhookDisabled = "webhook.disabled"
	// EventCallUpdated tells that a call started ringing, was answered or
	// ended (Call); the agents whose phones ring get it even when the
	// ticket is not theirs (To), so their app pops up the caller.
	EventCallUpdated = "call.updated"
)

// AgentRef names the agent an event is about.
type AgentRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Event tells that something changed. It carries the ids and the owning
// team and assignee, so a hub can decide who may see it without a query;
// Ticket and Message are filled where the publisher has them at hand and
// are loaded on demand otherwise (for example on another node).
type Event struct {
	Type       string    `json:"type"`
	TicketID   int64     `json:"ticket_id"`
	MessageID  int64     `json:"message_id,omitempty"`
	TeamID     int64     `json:"team_id,omitempty"`
	AssigneeID int64     `json:"assignee_id,omitempty"`
	Ticket     *Ticket   `json:"ticket,omitempty"`
	Message    *Message  `json:"message,omitempty"`
	Agent      *AgentRef `json:"agent,omitempty"` // presence events: who is viewing or typing
	Presence   string    `json:"presence,omitempty"`
	// Request ties a routing.next request to its answer.
	Request int64 `json:"request,omitempty"`
	// ChannelID names the channel of channel.created and channel.updated.
	ChannelID int64 `json:"channel_id,omitempty"`
	// Survey is the answered survey of survey.answered.
	Survey *Survey `json:"survey,omitempty"`
	// Webhook is the webhook of webhook.disabled (never its secret).
	Webhook *Webhook `json:"webhook,omitempty"`
	// Call is the call of call.updated.
	Call *Call `json:"call,omitempty"`
	// To are agents who get the event besides those who may see the
	// ticket.
	To []int64 `json:"to,omitempty"`
}

// Internal reports whether the event only travels between nodes and is
// never shown to agents.
func (e *Event) Internal() bool {
	switch e.Type {
	case EventRoutingNext, EventRoutingNextDone, EventChannelCreated, EventChannelUpdated, EventSLAChanged, EventWebhooksChanged:
		return true
	}
	return false
}

// AdminsOnly reports whether only admins may receive the event, whatever
// tickets they see: it is about the configuration, not about a ticket.
func (e *Event) AdminsOnly() bool { return e.Type == EventWebhookDisabled }

// Publisher receives events once their transaction has committed.
type Publisher interface {
	Publish(events ...Event)
}

// Publishers hands every event to each publisher in turn.
type Publishers []Publisher

// Publish implements Publisher.
func (ps Publishers) Publish(events ...Event) {
	for _, p := range ps {
		p.Publish(events...)
	}
}
