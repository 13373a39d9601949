package report

import (
	"context"
	"time"

	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
)

// SpeedGroup is how fast the tickets of one channel, team or agent (ID 0:
// none) were answered and solved, in calendar time and in business time.
// NextResponse counts every reply after the first to a customer who wrote
// again, so a ticket can give several. Handling time is active time, the
// same in both.
type SpeedGroup struct {
	ID                    int64 `json:"id"`
	FirstResponse         Stats `json:"first_response"`
	FirstResponseBusiness Stats `json:"first_response_business"`
	NextResponse          Stats `json:"next_response"`
	NextResponseBusiness  Stats `json:"next_response_business"`
	Resolution            Stats `json:"resolution"`
	ResolutionBusiness    Stats `json:"resolution_business"`
	// Handling is how long agents had a ticket open in the agent app, all
	// together, for the tickets they opened.
	Handling Stats `json:"handling"`
}

// Speed is the speed report's figures for one period.
type Speed struct {
	Total     SpeedGroup   `json:"total"`
	ByChannel []SpeedGroup `json:"by_channel"`
	ByTeam    []SpeedGroup `json:"by_team"`
	ByAgent   []SpeedGroup `json:"by_agent"`
}

// Speed reports response and resolution times for q and the previous
// period.
func (r *Reports) Speed(ctx context.Context, q Query) (*Report[*Speed], error) {
	calendars, err := r.calendars(ctx)
	if err != nil {
		return nil, err
	}
	return run(ctx, q, func(ctx context.Context, q Query) (*Speed, error) {
		facts, err := r.Store.TicketFacts(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		next, err := r.Store.NextResponses(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		handling, err := r.Store.HandlingTimes(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		return ComputeSpeed(facts, next, handling, calendars), nil
	})
}

// calendars returns the business-hours calendar of each SLA policy by
// name, as the desk uses them (nil: always open).
func (r *Reports) calendars(ctx context.Context) (map[string]*sla.Calendar, error) {
	rules, err := r.Hours.Rules(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*sla.Calendar{}
	for _, p := range rules.Policies {
		out[p.Name] = rules.Calendar(p.CalendarID)
	}
	return out, nil
}

// samples are the durations of one group, in ms.
type samples struct{ first, firstBiz, next, nextBiz, res, resBiz, handle []int64 }

func (s *samples) group(id int64) SpeedGroup {
	return SpeedGroup{ID: id, FirstResponse: Summarize(s.first), FirstResponseBusiness: Summarize(s.firstBiz),
		NextResponse: Summarize(s.next), NextResponseBusiness: Summarize(s.nextBiz),
		Resolution: Summarize(s.res), ResolutionBusiness: Summarize(s.resBiz), Handling: Summarize(s.handle)}
}

// ComputeSpeed measures, per ticket, the first response time (from the
// customer's first message to the first agent reply), the next response
// times of next (those of facts' tickets) and the resolution time (from
// creation to the last solve), in calendar time and in the business hours
// of the calendar of the ticket's SLA policy (around the clock without
// one), and summarises them per group with the tickets' handling times
// (ms by ticket id).
func ComputeSpeed(facts []store.TicketFact, next []store.NextResponse, handling map[int64]int64, calendars map[string]*sla.Calendar) *Speed {
	var total samples
	groups := make([]map[int64]*samples, len(dims))
	for i := range groups {
		groups[i] = map[int64]*samples{}
	}
	nexts := map[int64][]store.NextResponse{}
	for _, n := range next {
		nexts[n.TicketID] = append(nexts[n.TicketID], n)
	}
	for i := range facts {
		t := &facts[i]
		cal := calendars[t.SLAPolicy]
		var nextMs, nextBiz []int64
		for _, n := range nexts[t.ID] {
			nextMs = append(nextMs, n.AgentAt-n.CustomerAt)
			nextBiz = append(nextBiz, cal.Between(time.UnixMilli(n.CustomerAt), time.UnixMilli(n.AgentAt)).Milliseconds())
		}
		var first, firstBiz, res, resBiz int64 = -1, -1, -1, -1
		if t.FirstCustomerAt > 0 && t.FirstResponseAt >= t.FirstCustomerAt {
			first = t.FirstResponseAt - t.FirstCustomerAt
			firstBiz = cal.Between(time.UnixMilli(t.FirstCustomerAt), time.UnixMilli(t.FirstResponseAt)).Milliseconds()
		}
		if t.SolvedAt >= t.CreatedAt && t.SolvedAt > 0 {
			res = t.SolvedAt - t.CreatedAt
			resBiz = cal.Between(time.UnixMilli(t.CreatedAt), time.UnixMilli(t.SolvedAt)).Milliseconds()
		}
		sets := []*samples{&total}
		for d, dim := range dims {
			id := dim.key(t)
			if groups[d][id] == nil {
				groups[d][id] = &samples{}
			}
			sets = append(sets, groups[d][id])
		}
		for _, s := range sets {
			if first >= 0 {
				s.first, s.firstBiz = append(s.first, first), append(s.firstBiz, firstBiz)
			}
			s.next, s.nextBiz = append(s.next, nextMs...), append(s.nextBiz, nextBiz...)
			if res >= 0 {
				s.res, s.resBiz = append(s.res, res), append(s.resBiz, resBiz)
			}
			if h := handling[t.ID]; h > 0 {
				s.handle = append(s.handle, h)
			}
		}
	}
	sp := &Speed{Total: total.group(0)}
	out := []*[]SpeedGroup{&sp.ByChannel, &sp.ByTeam, &sp.ByAgent}
	for d := range dims {
		*out[d] = []SpeedGroup{}
		for _, id := range sortedKeys(groups[d]) {
			*out[d] = append(*out[d], groups[d][id].group(id))
		}
	}
	return sp
}

// Header implements Table.
func (s *Speed) Header() []string {
	h := []string{"dimension", "id"}
	for _, m := range []string{"first_response", "first_response_business", "next_response", "next_response_business", "resolution", "resolution_business", "handling"} {
		h = append(h, m+"_count", m+"_median_ms", m+"_p90_ms", m+"_mean_ms")
	}
	return h
}

// Rows implements Table: the total, then each channel, team and agent.
func (s *Speed) Rows() [][]string {
	row := func(dim string, g SpeedGroup) []string {
		r := []string{dim, itoa(g.ID)}
		for _, st := range []Stats{g.FirstResponse, g.FirstResponseBusiness, g.NextResponse, g.NextResponseBusiness, g.Resolution, g.ResolutionBusiness, g.Handling} {
			r = append(r, itoa(int64(st.Count)), itoa(st.MedianMs), itoa(st.P90Ms), itoa(st.MeanMs))
		}
		return r
	}
	rows := [][]string{row("all", s.Total)}
	for d, gs := range [][]SpeedGroup{s.ByChannel, s.ByTeam, s.ByAgent} {
		for _, g := range gs {
			rows = append(rows, row(dims[d].name, g))
		}
	}
	return rows
}
