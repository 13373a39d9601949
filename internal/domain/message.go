package domain

// MessageKind is what a timeline entry records.
type MessageKind string

// Message kinds.
const (
	KindMessage MessageKind = "message" // inbound or outbound customer message
	KindNote    MessageKind = "note"    // internal, never sent
	KindCall    MessageKind = "call"
	KindLetter  MessageKind = "letter"
	KindVisit   MessageKind = "visit"
	KindEvent   MessageKind = "event" // system event: status change, merge, assignment
)

// Direction of a message relative to the service team.
type Direction string

// Directions; notes and events have none.
const (
	DirectionIn   Direction = "in"
	DirectionOut  Direction = "out"
	DirectionNone Direction = ""
)

// AuthorType says who wrote a message.
type AuthorType string

// Author types.
const (
	AuthorContact AuthorType = "contact"
	AuthorAgent   AuthorType = "agent"
	AuthorBot     AuthorType = "bot"
	AuthorSystem  AuthorType = "system"
)

// DeliveryStatus tracks an outbound message through the provider.
type DeliveryStatus string

// Delivery statuses in the order a message moves through them.
const (
	DeliveryNone DeliveryStatus = ""
	// DeliveryScheduled is a reply waiting for its SendAt: it moves on to
	// sent when it goes out, or is cancelled before.
	DeliveryScheduled DeliveryStatus = "scheduled"
	DeliveryCancelled DeliveryStatus = "cancelled"
	// DeliveryAwaitingApproval is a reply held until a second person
	// approves it (then it is queued) or sends it back (DeliveryReturned).
	DeliveryAwaitingApproval DeliveryStatus = "awaiting_approval"
	DeliveryReturned         DeliveryStatus = "returned"
	DeliveryQueued           DeliveryStatus = "queued"
	DeliverySent             DeliveryStatus = "sent"
	DeliveryDelivered        DeliveryStatus = "delivered"
	DeliveryRead             DeliveryStatus = "read"
	DeliveryFailed           DeliveryStatus = "failed"
)

func (s DeliveryStatus) rank() int {
	switch s {
	case DeliveryScheduled, DeliveryQueued:
		return 1
	case DeliverySent:
		return 2
	case DeliveryDelivered:
		return 3
	case DeliveryRead:
		return 4
	}
	return 0
}

// Merge combines the current status with an update that may arrive out of
// order: statuses only move forward (a late "delivered" never undoes "read"),
// and "failed" wins over anything short of delivery. A manual retry is the
// only way back to queued and does not go through Merge.
func (s DeliveryStatus) Merge(update DeliveryStatus) DeliveryStatus {
	switch {
	case update == DeliveryFailed:
		if s == DeliveryDelivered || s == DeliveryRead {
			return s
		}
		return DeliveryFailed
	case s == DeliveryFailed:
		// A provider reporting delivery after a failure is believed.
		if update == DeliveryDelivered || update == DeliveryRead {
			return update
		}
		return s
	case update.rank() > s.rank():
		return update
	}
	return s
}

// Valid reports whether s is a known delivery status.
func (s DeliveryStatus) Valid() bool { return s == DeliveryFailed || s.rank() > 0 }
