package report

import (
	"context"
	"slices"
	"strings"

	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
)

// MaxBreachedTickets caps the breached tickets an SLA report lists.
const MaxBreachedTickets = 100

// SLAGroup is the attainment of one policy or channel (or all): tickets
// solved without a breach (met), with one (breached; counted as soon as a
// target is missed), and still running without one (pending, left out of
// the percentage).
type SLAGroup struct {
	Policy        string   `json:"policy,omitempty"`
	ChannelID     int64    `json:"channel_id,omitempty"`
	Met           int      `json:"met"`
	Breached      int      `json:"breached"`
	Pending       int      `json:"pending"`
	AttainmentPct *float64 `json:"attainment_pct"`
	// Breaches per target.
	FirstResponseBreached int `json:"first_response_breached"`
	NextResponseBreached  int `json:"next_response_breached"`
	ResolutionBreached    int `json:"resolution_breached"`
}

// BreachedTicket is a ticket that missed a target.
type BreachedTicket struct {
	ID        int64    `json:"id"`
	Number    int64    `json:"number"`
	Policy    string   `json:"policy"`
	ChannelID int64    `json:"channel_id,omitempty"`
	Targets   []string `json:"targets"`
}

// SLA is the SLA report's figures for one period.
type SLA struct {
	Total     SLAGroup   `json:"total"`
	ByPolicy  []SLAGroup `json:"by_policy"`
	ByChannel []SLAGroup `json:"by_channel"`
	// BreachedTickets lists the first MaxBreachedTickets breached tickets,
	// oldest first; Truncated says there were more.
	BreachedTickets []BreachedTicket `json:"breached_tickets"`
	Truncated       bool             `json:"breached_truncated"`
}

// SLA reports attainment for q and the previous period.
func (r *Reports) SLA(ctx context.Context, q Query) (*Report[*SLA], error) {
	return run(ctx, q, func(ctx context.Context, q Query) (*SLA, error) {
		facts, err := r.Store.TicketFacts(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		return ComputeSLA(facts), nil
	})
}

// breachTargets are the targets by their bit in TicketFact.SLABreaches.
var breachTargets = []string{sla.FirstResponse, sla.NextResponse, sla.Resolution}

func (g *SLAGroup) add(t *store.TicketFact) {
	switch {
	case t.SLABreaches != 0 || t.SLABreached:
		g.Breached++
	case t.SolvedAt > 0:
		g.Met++
	default:
		g.Pending++
	}
	for i, n := range []*int{&g.FirstResponseBreached, &g.NextResponseBreached, &g.ResolutionBreached} {
		if t.SLABreaches&(1<<i) != 0 {
			*n++
		}
	}
	g.AttainmentPct = Percent(g.Met, g.Met+g.Breached)
}

// ComputeSLA counts, over the tickets an SLA policy applied to, the met
// and breached ones per policy and channel.
func ComputeSLA(facts []store.TicketFact) *SLA {
	s := &SLA{ByPolicy: []SLAGroup{}, ByChannel: []SLAGroup{}, BreachedTickets: []BreachedTicket{}}
	policies, channels := map[string]*SLAGroup{}, map[int64]*SLAGroup{}
	var names []string
	for i := range facts {
		t := &facts[i]
		if t.SLAPolicy == "" {
			continue
		}
		s.Total.add(t)
		if policies[t.SLAPolicy] == nil {
			policies[t.SLAPolicy] = &SLAGroup{Policy: t.SLAPolicy}
			names = append(names, t.SLAPolicy)
		}
		policies[t.SLAPolicy].add(t)
		if channels[t.ChannelID] == nil {
			channels[t.ChannelID] = &SLAGroup{ChannelID: t.ChannelID}
		}
		channels[t.ChannelID].add(t)
		if t.SLABreaches == 0 && !t.SLABreached {
			continue
		}
		if len(s.BreachedTickets) == MaxBreachedTickets {
			s.Truncated = true
			continue
		}
		b := BreachedTicket{ID: t.ID, Number: t.Number, Policy: t.SLAPolicy, ChannelID: t.ChannelID, Targets: []string{}}
		for i, target := range breachTargets {
			if t.SLABreaches&(1<<i) != 0 {
				b.Targets = append(b.Targets, target)
			}
		}
		s.BreachedTickets = append(s.BreachedTickets, b)
	}
	slices.Sort(names)
	for _, n := range names {
		s.ByPolicy = append(s.ByPolicy, *policies[n])
	}
	for _, id := range sortedKeys(channels) {
		s.ByChannel = append(s.ByChannel, *channels[id])
	}
	return s
}

// Header implements Table.
func (s *SLA) Header() []string {
	return []string{"dimension", "key", "met", "breached", "pending", "attainment_pct",
		"first_response_breached", "next_response_breached", "resolution_breached", "breached_tickets"}
}

// Rows implements Table: the total, each policy and each channel; the
// total lists the breached ticket numbers.
func (s *SLA) Rows() [][]string {
	row := func(dim, key string, g SLAGroup, tickets string) []string {
		return []string{dim, key, itoa(int64(g.Met)), itoa(int64(g.Breached)), itoa(int64(g.Pending)), pct(g.AttainmentPct),
			itoa(int64(g.FirstResponseBreached)), itoa(int64(g.NextResponseBreached)), itoa(int64(g.ResolutionBreached)), tickets}
	}
	numbers := make([]string, len(s.BreachedTickets))
	for i, b := range s.BreachedTickets {
		numbers[i] = itoa(b.Number)
	}
	rows := [][]string{row("all", "", s.Total, strings.Join(numbers, " "))}
	for _, g := range s.ByPolicy {
		rows = append(rows, row("policy", g.Policy, g, ""))
	}
	for _, g := range s.ByChannel {
		rows = append(rows, row("channel", itoa(g.ChannelID), g, ""))
	}
	return rows
}
