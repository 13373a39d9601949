package report

import (
	"context"
	"math"
	"strconv"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// OutcomeGroup is how well the tickets of one channel, team or agent (ID
// 0: none), or of all, were helped.
type OutcomeGroup struct {
	ID      int64 `json:"id"`
	Tickets int   `json:"tickets"`
	// Solved counts tickets solved (or closed after solving) now.
	Solved int `json:"solved"`
	// OneTouch counts solved tickets with exactly one agent reply and
	// never reopened; the rate is of Solved.
	OneTouch    int      `json:"one_touch"`
	OneTouchPct *float64 `json:"one_touch_pct"`
	// Reopened counts tickets reopened after a solve; the rate is of the
	// tickets ever solved (solved now, or reopened).
	Reopened  int      `json:"reopened"`
	ReopenPct *float64 `json:"reopen_pct"`
	// The FAQ bot: tickets it took (bot_state set), solved itself and
	// handed over to a person; the rates are of the tickets it took.
	BotHandled       int      `json:"bot_handled"`
	BotResolved      int      `json:"bot_resolved"`
	BotHandedOver    int      `json:"bot_handed_over"`
	BotResolutionPct *float64 `json:"bot_resolution_pct"`
	BotHandOffPct    *float64 `json:"bot_hand_off_pct"`
	// CSAT: how many rated, the average score (two decimals, nil: none)
	// and how many gave each score 1 to 5.
	CSATCount        int      `json:"csat_count"`
	CSATAverage      *float64 `json:"csat_average"`
	CSATDistribution [5]int   `json:"csat_distribution"`

	everSolved, csatSum int
}

// Outcome is the outcome report's figures for one period.
type Outcome struct {
	Total     OutcomeGroup   `json:"total"`
	ByChannel []OutcomeGroup `json:"by_channel"`
	ByTeam    []OutcomeGroup `json:"by_team"`
	ByAgent   []OutcomeGroup `json:"by_agent"`
}

// Outcome reports outcomes for q and the previous period.
func (r *Reports) Outcome(ctx context.Context, q Query) (*Report[*Outcome], error) {
	return run(ctx, q, func(ctx context.Context, q Query) (*Outcome, error) {
		facts, err := r.Store.TicketFacts(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		return ComputeOutcome(facts), nil
	})
}

func (g *OutcomeGroup) add(t *store.TicketFact) {
	g.Tickets++
	solved := t.SolvedAt > 0
	if solved {
		g.Solved++
		if t.AgentReplies == 1 && t.Reopens == 0 {
			g.OneTouch++
		}
	}
	if solved || t.Reopens > 0 {
		g.everSolved++
	}
	if t.Reopens > 0 {
		g.Reopened++
	}
	if t.BotState != "" {
		g.BotHandled++
		switch t.BotState {
		case domain.BotResolved:
			g.BotResolved++
		case domain.BotHandedOver:
			g.BotHandedOver++
		}
	}
	if t.CSATScore >= 1 && t.CSATScore <= 5 {
		g.CSATCount++
		g.csatSum += t.CSATScore
		g.CSATDistribution[t.CSATScore-1]++
	}
}

func (g *OutcomeGroup) finish() OutcomeGroup {
	g.OneTouchPct = Percent(g.OneTouch, g.Solved)
	g.ReopenPct = Percent(g.Reopened, g.everSolved)
	g.BotResolutionPct = Percent(g.BotResolved, g.BotHandled)
	g.BotHandOffPct = Percent(g.BotHandedOver, g.BotHandled)
	if g.CSATCount > 0 {
		avg := math.Round(float64(g.csatSum)*100/float64(g.CSATCount)) / 100
		g.CSATAverage = &avg
	}
	return *g
}

// ComputeOutcome computes one-touch resolution, reopens, the bot's
// resolutions and hand-offs and CSAT per group.
func ComputeOutcome(facts []store.TicketFact) *Outcome {
	total, by := groupBy(facts, ticketKeys, func(id int64) *OutcomeGroup { return &OutcomeGroup{ID: id} })
	return &Outcome{Total: total, ByChannel: by[0], ByTeam: by[1], ByAgent: by[2]}
}

// Header implements Table.
func (o *Outcome) Header() []string {
	return []string{"dimension", "id", "tickets", "solved", "one_touch", "one_touch_pct", "reopened", "reopen_pct",
		"bot_handled", "bot_resolved", "bot_handed_over", "bot_resolution_pct", "bot_hand_off_pct",
		"csat_count", "csat_average", "csat_1", "csat_2", "csat_3", "csat_4", "csat_5"}
}

// Rows implements Table: the total, then each channel, team and agent.
func (o *Outcome) Rows() [][]string {
	row := func(dim string, g OutcomeGroup) []string {
		avg := ""
		if g.CSATAverage != nil {
			avg = strconv.FormatFloat(*g.CSATAverage, 'f', 2, 64)
		}
		r := []string{dim, itoa(g.ID), itoa(int64(g.Tickets)), itoa(int64(g.Solved)), itoa(int64(g.OneTouch)), pct(g.OneTouchPct),
			itoa(int64(g.Reopened)), pct(g.ReopenPct), itoa(int64(g.BotHandled)), itoa(int64(g.BotResolved)),
			itoa(int64(g.BotHandedOver)), pct(g.BotResolutionPct), pct(g.BotHandOffPct), itoa(int64(g.CSATCount)), avg}
		for _, n := range g.CSATDistribution {
			r = append(r, itoa(int64(n)))
		}
		return r
	}
	rows := [][]string{row("all", o.Total)}
	for d, gs := range [][]OutcomeGroup{o.ByChannel, o.ByTeam, o.ByAgent} {
		for _, g := range gs {
			rows = append(rows, row(dims[d].name, g))
		}
	}
	return rows
}
