package report

import (
	"context"
	"time"
)

// Today is how the current local day went so far, for the wallboard: the
// volume, how many of the day's tickets were solved, their first
// responses and their SLA attainment (the service level).
type Today struct {
	From          time.Time `json:"from"`
	At            time.Time `json:"at"`
	TZ            string    `json:"tz"`
	Volume        Counts    `json:"volume"`
	Solved        int       `json:"solved"`
	FirstResponse Stats     `json:"first_response"`
	SLA           SLAGroup  `json:"sla"`
}

// Today reports the local day of now in q.Loc up to now, narrowed by q's
// filters (q's period is ignored).
func (r *Reports) Today(ctx context.Context, q Query, now time.Time) (*Today, error) {
	local := now.In(q.Loc)
	y, m, d := local.Date()
	q.From, q.To = time.Date(y, m, d, 0, 0, 0, 0, q.Loc).UnixMilli(), now.UnixMilli()+1
	calendars, err := r.calendars(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := r.volumeCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	facts, err := r.Store.TicketFacts(ctx, q.ReportFilter)
	if err != nil {
		return nil, err
	}
	out := &Today{From: msTime(q.From, q.Loc), At: local, TZ: q.Loc.String(),
		FirstResponse: ComputeSpeed(facts, nil, nil, calendars).Total.FirstResponse, SLA: ComputeSLA(facts).Total}
	for _, c := range counts {
		out.Volume.add(c)
	}
	for i := range facts {
		if facts[i].SolvedAt > 0 {
			out.Solved++
		}
	}
	return out, nil
}
