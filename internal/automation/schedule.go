package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loket.dev/loket/internal/domain"
)

// Scheduled rules look at every ticket changed within this span that is
// not closed, scheduleBatch at a time.
const (
	scheduleSpan  = 30 * 24 * time.Hour
	scheduleBatch = 500
)

// Sweep runs the scheduled rules over recent tickets: reminders when the
// customer has not answered for a while, follow-ups after a solve. A rule
// acts on a ticket once per state of the case (its status and the times
// of the customer's and the agents' last messages and of its solve), so a
// reminder is sent once per silence, not every minute, even though sending
// it changes the ticket.
// Run it on one node at a time, every few minutes.
func (e *Engine) Sweep(ctx context.Context) error {
	all, err := e.rulesNow(ctx)
	if err != nil {
		return err
	}
	var rules []*Rule
	for _, r := range all {
		if r.Trigger == domain.TriggerSchedule {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	since := e.now().Add(-scheduleSpan).UnixMilli()
	var failed []error
	for after := int64(0); ; {
		ids, err := e.store.ScheduleCandidates(ctx, since, after, scheduleBatch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			t, err := e.store.Ticket(ctx, id)
			if errors.Is(err, domain.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			state := fmt.Sprintf("%s:%d:%d:%d", t.Status, t.LastCustomerAt, t.LastAgentAt, t.SolvedAt)
			for _, r := range rules {
				trig := domain.Trigger{Type: domain.TriggerSchedule, TicketID: id}
				if gone, err := e.apply(ctx, r, &trig, fmt.Sprintf("rule:%d:ticket:%d:%s", r.ID, id, state)); gone {
					break
				} else if err != nil {
					failed = append(failed, err)
				}
			}
		}
		if len(ids) < scheduleBatch {
			return errors.Join(failed...)
		}
		after = ids[len(ids)-1]
	}
}
