package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loket.dev/loket/internal/domain"
)

// Scheduled rules look at tickets changed within this span, at most
// scheduleBatch of them per sweep, the most recently changed first.
const (
	scheduleSpan  = 30 * 24 * time.Hour
	scheduleBatch = 2000
)

// Sweep runs the scheduled rules over recent tickets: reminders when the
// customer has not answered for a while, follow-ups after a solve. A rule
// acts on a ticket once per state of it (its last change), so a rule
// whose actions change the ticket is not set off again by the same state.
// Run it on one node at a time, every few minutes.
func (e *Engine) Sweep(ctx context.Context) error {
	var rules []*Rule
	for _, r := range e.enabled() {
		if r.Trigger == domain.TriggerSchedule {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	ids, err := e.store.ScheduleCandidates(ctx, e.now().Add(-scheduleSpan).UnixMilli(), scheduleBatch)
	if err != nil {
		return err
	}
	var failed []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s, err := e.load(ctx, domain.Trigger{Type: domain.TriggerSchedule, TicketID: id})
		if errors.Is(err, domain.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		for _, r := range rules {
			if !Match(r.Conditions, s.facts) {
				continue
			}
			key := fmt.Sprintf("rule:%d:ticket:%d:%d", r.ID, id, s.ticket.UpdatedAt)
			if err := e.run(ctx, r, domain.Trigger{Type: domain.TriggerSchedule, TicketID: id}, s, key); err != nil {
				failed = append(failed, err)
			}
		}
	}
	return errors.Join(failed...)
}
