package report

import (
	"context"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// CallsGroup is the telephone figures of one channel, team or agent (ID 0:
// none), or of all.
type CallsGroup struct {
	ID       int64 `json:"id"`
	Inbound  int   `json:"inbound"`
	Outbound int   `json:"outbound"`
	// Answered counts inbound calls a person took; Missed those that
	// ended unanswered (the caller hung up, nobody picked up, busy), which
	// wait for a callback. The rates are of the inbound calls.
	Answered    int      `json:"answered"`
	AnsweredPct *float64 `json:"answered_pct"`
	Missed      int      `json:"missed"`
	MissedPct   *float64 `json:"missed_pct"`
	// OutboundReached counts outbound calls the customer answered.
	OutboundReached int `json:"outbound_reached"`
	// Callbacks asked for by customers, and how many an agent answered
	// with a call.
	CallbacksRequested int `json:"callbacks_requested"`
	CallbacksDone      int `json:"callbacks_done"`
	// Wait is how long inbound callers rang before a person answered;
	// Talk how long answered calls lasted (both directions).
	Wait Stats `json:"wait"`
	Talk Stats `json:"talk"`

	waits, talks []int64
}

// Calls is the calls report's figures for one period.
type Calls struct {
	Total     CallsGroup   `json:"total"`
	ByChannel []CallsGroup `json:"by_channel"`
	ByTeam    []CallsGroup `json:"by_team"`
	ByAgent   []CallsGroup `json:"by_agent"`
}

// Calls reports the telephone figures for q and the previous period, by
// when calls started.
func (r *Reports) Calls(ctx context.Context, q Query) (*Report[*Calls], error) {
	return run(ctx, q, func(ctx context.Context, q Query) (*Calls, error) {
		facts, err := r.Store.CallFacts(ctx, q.ReportFilter)
		if err != nil {
			return nil, err
		}
		return ComputeCalls(facts), nil
	})
}

func (g *CallsGroup) add(c *store.CallFact) {
	if c.State == domain.CallRequested || c.Cause == domain.CauseCalledBack {
		g.CallbacksRequested++
		if c.Cause == domain.CauseCalledBack {
			g.CallbacksDone++
		}
		return
	}
	if c.Direction == domain.DirectionOut {
		g.Outbound++
		if c.AnsweredAt > 0 {
			g.OutboundReached++
		}
	} else {
		g.Inbound++
		if c.AnsweredAt > 0 {
			g.Answered++
			g.waits = append(g.waits, c.AnsweredAt-c.StartedAt)
		}
		if c.Missed {
			g.Missed++
		}
	}
	if c.AnsweredAt > 0 && c.EndedAt >= c.AnsweredAt {
		g.talks = append(g.talks, c.EndedAt-c.AnsweredAt)
	}
}

func (g *CallsGroup) finish() CallsGroup {
	g.AnsweredPct = Percent(g.Answered, g.Inbound)
	g.MissedPct = Percent(g.Missed, g.Inbound)
	g.Wait, g.Talk = Summarize(g.waits), Summarize(g.talks)
	return *g
}

// ComputeCalls computes the calls report's figures per group; a call
// counts for the agent who answered or placed it.
func ComputeCalls(facts []store.CallFact) *Calls {
	keys := [3]func(*store.CallFact) int64{
		func(c *store.CallFact) int64 { return c.ChannelID },
		func(c *store.CallFact) int64 { return c.TeamID },
		func(c *store.CallFact) int64 { return c.AgentID },
	}
	total, by := groupBy(facts, keys, func(id int64) *CallsGroup { return &CallsGroup{ID: id} })
	return &Calls{Total: total, ByChannel: by[0], ByTeam: by[1], ByAgent: by[2]}
}

// Header implements Table.
func (c *Calls) Header() []string {
	return []string{"dimension", "id", "inbound", "outbound", "answered", "answered_pct", "missed", "missed_pct",
		"outbound_reached", "callbacks_requested", "callbacks_done", "wait_median_ms", "wait_p90_ms",
		"talk_count", "talk_median_ms", "talk_p90_ms", "talk_mean_ms"}
}

// Rows implements Table: the total, then each channel, team and agent.
func (c *Calls) Rows() [][]string {
	row := func(dim string, g CallsGroup) []string {
		return []string{dim, itoa(g.ID), itoa(int64(g.Inbound)), itoa(int64(g.Outbound)), itoa(int64(g.Answered)),
			pct(g.AnsweredPct), itoa(int64(g.Missed)), pct(g.MissedPct), itoa(int64(g.OutboundReached)),
			itoa(int64(g.CallbacksRequested)), itoa(int64(g.CallbacksDone)), itoa(g.Wait.MedianMs), itoa(g.Wait.P90Ms),
			itoa(int64(g.Talk.Count)), itoa(g.Talk.MedianMs), itoa(g.Talk.P90Ms), itoa(g.Talk.MeanMs)}
	}
	rows := [][]string{row("all", c.Total)}
	for d, gs := range [][]CallsGroup{c.ByChannel, c.ByTeam, c.ByAgent} {
		for _, g := range gs {
			rows = append(rows, row(dims[d].name, g))
		}
	}
	return rows
}
