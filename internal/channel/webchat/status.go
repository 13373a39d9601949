package webchat

import (
	"context"
	"fmt"
	"time"

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

// cachedHours is the SLA configuration the business hours come from.
type cachedHours struct {
	policies  []*sla.Policy
	calendars map[int64]*sla.Calendar
	loaded    time.Time
}

const hoursTTL = 10 * time.Second

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

func (a *Adapter) calendar(ctx context.Context, ch *domain.Channel) (*sla.Calendar, error) {
	a.mu.Lock()
	h := a.hours
	a.mu.Unlock()
	if h.calendars == nil || a.now().Sub(h.loaded) >= hoursTTL {
		policies, err := a.store.Policies(ctx)
		if err != nil {
			return nil, err
		}
		cals, err := a.store.Calendars(ctx)
		if err != nil {
			return nil, err
		}
		h = cachedHours{policies: policies, calendars: map[int64]*sla.Calendar{}, loaded: a.now()}
		for _, c := range cals {
			cal, err := sla.NewCalendar(c.Config)
			if err != nil {
				return nil, fmt.Errorf("calendar %d: %w", c.ID, err)
			}
			h.calendars[c.ID] = cal
		}
		a.mu.Lock()
		a.hours = h
		a.mu.Unlock()
	}
	p := sla.Choose(h.policies, sla.Facts{ChannelKind: Kind, ChannelID: ch.ID, TeamID: ch.TeamID, Priority: string(domain.PriorityNormal)})
	if p.CalendarID == 0 {
		return nil, nil
	}
	return h.calendars[p.CalendarID], nil
}
