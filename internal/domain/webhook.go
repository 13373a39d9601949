package domain

import (
	"encoding/json"
	"slices"
)

// Webhook is an outside system's subscription to Loket's events: each event
// of a subscribed type is posted to URL, signed with Secret.
type Webhook struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Active is false when an admin turned the webhook off or Loket did
	// after repeated failures; DisabledReason then says which.
	Active         bool   `json:"active"`
	DisabledReason string `json:"disabled_reason"`
	// Failures counts deliveries in a row that failed after all their
	// attempts; a delivered one resets it.
	Failures  int   `json:"failures"`
	CreatedAt int64 `json:"created_at"`
	UpdatedAt int64 `json:"updated_at"`
	// Secret signs the deliveries; sealed at rest and shown once.
	Secret string `json:"-"`
}

// Subscribes reports whether w receives events of type eventType.
func (w *Webhook) Subscribes(eventType string) bool {
	return slices.Contains(w.Events, eventType)
}

// Delivery states.
const (
	WebhookDeliveryPending   = "pending"
	WebhookDeliveryDelivered = "delivered"
	WebhookDeliveryFailed    = "failed"
)

// WebhookDelivery is one event sent, or being sent, to one webhook, with
// the outcome of its latest attempt.
type WebhookDelivery struct {
	ID        int64 `json:"id"`
	WebhookID int64 `json:"webhook_id"`
	// TriggerID is the automation trigger the event came from.
	TriggerID int64 `json:"trigger_id"`
	// RedeliveryOf is the delivery an admin sent again; 0 for a first
	// delivery.
	RedeliveryOf   int64           `json:"redelivery_of,omitempty"`
	EventType      string          `json:"event_type"`
	Payload        json.RawMessage `json:"payload"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	ResponseStatus int             `json:"response_status"`
	ResponseBody   string          `json:"response_body"`
	Error          string          `json:"error"`
	CreatedAt      int64           `json:"created_at"`
	DeliveredAt    int64           `json:"delivered_at,omitempty"`
}
