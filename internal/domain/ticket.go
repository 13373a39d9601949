package domain

import (
	"fmt"
	"slices"
)

// TicketStatus is where a ticket stands in its life cycle.
type TicketStatus string

// Ticket statuses.
const (
	StatusNew     TicketStatus = "new"
	StatusOpen    TicketStatus = "open"
	StatusPending TicketStatus = "pending" // waiting for the customer
	StatusOnHold  TicketStatus = "on_hold" // waiting for a third party
	StatusSolved  TicketStatus = "solved"
	StatusClosed  TicketStatus = "closed" // final: new contact opens a follow-up
)

// TicketStatuses lists every status in life-cycle order.
var TicketStatuses = []TicketStatus{StatusNew, StatusOpen, StatusPending, StatusOnHold, StatusSolved, StatusClosed}

var transitions = map[TicketStatus][]TicketStatus{
	StatusNew:     {StatusOpen, StatusPending, StatusOnHold, StatusSolved},
	StatusOpen:    {StatusPending, StatusOnHold, StatusSolved},
	StatusPending: {StatusOpen, StatusOnHold, StatusSolved},
	StatusOnHold:  {StatusOpen, StatusPending, StatusSolved},
	StatusSolved:  {StatusOpen, StatusClosed},
	StatusClosed:  {},
}

// Valid reports whether s is a known status.
func (s TicketStatus) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// Active reports whether the ticket still needs work (not solved or closed).
func (s TicketStatus) Active() bool {
	return s != StatusSolved && s != StatusClosed
}

// CanBecome reports whether a ticket may move from s to next. Staying in the
// same status is always allowed so that idempotent updates succeed.
func (s TicketStatus) CanBecome(next TicketStatus) bool {
	if s == next {
		return s.Valid()
	}
	return slices.Contains(transitions[s], next)
}

// Transition returns next when the move is legal, or an error explaining why not.
func (s TicketStatus) Transition(next TicketStatus) (TicketStatus, error) {
	if !next.Valid() {
		return s, &Error{Code: "invalid_status", Message: fmt.Sprintf("unknown status %q; use one of new, open, pending, on_hold, solved, closed", next)}
	}
	if !s.CanBecome(next) {
		return s, &Error{Code: "illegal_transition", Message: fmt.Sprintf("a %s ticket cannot become %s", s, next)}
	}
	return next, nil
}

// Inbound decides what a customer message does to a ticket in status s:
// the new status, and whether a follow-up ticket must be opened instead
// (closed tickets are never reopened).
func (s TicketStatus) Inbound() (next TicketStatus, followUp bool) {
	switch s {
	case StatusClosed:
		return StatusNew, true
	case StatusNew:
		return StatusNew, false
	default:
		// Pending, on hold and solved tickets return to the agent's desk.
		return StatusOpen, false
	}
}

// Priority is a ticket's urgency.
type Priority string

// Priorities from least to most urgent.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Rank orders priorities: higher is more urgent; unknown is -1.
func (p Priority) Rank() int {
	switch p {
	case PriorityLow:
		return 0
	case PriorityNormal:
		return 1
	case PriorityHigh:
		return 2
	case PriorityUrgent:
		return 3
	}
	return -1
}

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p.Rank() >= 0 }

// NormalizeTags trims, lowercases, de-duplicates and sorts tags, rejecting
// empty or overlong ones.
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = lowerTrim(t)
		if t == "" {
			continue
		}
		if len(t) > 64 {
			return nil, &Error{Code: "invalid_tag", Message: fmt.Sprintf("tag %q is longer than 64 characters", t)}
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
