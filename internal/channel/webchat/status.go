package webchat

import (
	"context"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
)

// Status tells a visitor what to expect: whether the team is at work, when
// it is back, and how long a person takes to answer.
type Status struct {
	Open bool `json:"open"`
	// BackAt is when the team is back (Unix ms), while it is away.
	BackAt int64 `json:"back_at,omitempty"`
	// Staffed and EstimatedWaitMs come from routing; absent when unknown.
	Staffed         *bool  `json:"staffed,omitempty"`
	EstimatedWaitMs *int64 `json:"estimated_wait_ms,omitempty"`
}

// Status returns the channel's status now. Business hours are the calendar
// of the SLA policy that applies to a new normal-priority chat on the
// channel; without one the team counts as always at work.
func (a *Adapter) Status(ctx context.Context, ch *domain.Channel) Status {
	now := a.now()
	st := Status{Open: true}
	cal, err := a.calendar(ctx, ch)
	if err != nil {
		a.log.Warn("webchat business hours", "channel", ch.ID, "err", err)
	} else if cal != nil && !cal.IsOpen(now) {
		st.Open = false
		if back := cal.NextOpen(now); !back.IsZero() {
			st.BackAt = back.UnixMilli()
		}
	}
	if a.wait != nil && ch.TeamID != 0 {
		wait, staffed := a.wait.EstimatedWait(ch.TeamID, Kind)
		ms := wait.Milliseconds()
		st.Staffed, st.EstimatedWaitMs = &staffed, &ms
	}
	return st
}

// calendar returns the business hours of a new normal-priority chat on ch,
// or nil when the team counts as always at work.
func (a *Adapter) calendar(ctx context.Context, ch *domain.Channel) (*sla.Calendar, error) {
	return a.hours.ForChannel(ctx, ch)
}
