package automation

import (
	"context"

	"loket.dev/loket/internal/domain"
)

// TestResult is what a rule would do on a past ticket or event.
type TestResult struct {
	Matched    bool      `json:"matched"`
	Conditions []Checked `json:"conditions"`
	Actions    []Planned `json:"actions"`
}

// Test says what a rule, saved or not, would do on a ticket (with its
// newest customer message) or an external event, changing nothing.
func (e *Engine) Test(ctx context.Context, r *Rule, ticketID, eventID int64) (*TestResult, error) {
	t := domain.Trigger{Type: r.Trigger, TicketID: ticketID, EventID: eventID, Name: r.EventName}
	if ticketID != 0 {
		msgs, err := e.store.LatestInbound(ctx, ticketID)
		if err != nil {
			return nil, err
		}
		t.MessageID = msgs
	}
	s, err := e.load(ctx, t)
	if err != nil {
		return nil, err
	}
	ok, checked := Explain(r.Conditions, s.facts)
	if checked == nil {
		checked = []Checked{}
	}
	return &TestResult{Matched: ok, Conditions: checked, Actions: e.plan(ctx, r.Actions, s)}, nil
}
