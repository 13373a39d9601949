package report

import (
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

func TestComputeCalls_CountsAnsweredMissedCallbacksAndDurations(t *testing.T) {
	in := func(agent int64, started, answered, ended int64, missed bool) store.CallFact {
		return store.CallFact{ChannelID: 1, TeamID: 2, AgentID: agent, Direction: domain.DirectionIn, State: domain.CallEnded,
			Missed: missed, StartedAt: started, AnsweredAt: answered, EndedAt: ended}
	}
	facts := []store.CallFact{
		in(7, 0, 10_000, 250_000, false),
		in(7, 0, 20_000, 80_000, false),
		in(0, 0, 0, 30_000, true),
		{ChannelID: 1, TeamID: 2, AgentID: 8, Direction: domain.DirectionOut, State: domain.CallEnded, StartedAt: 0, AnsweredAt: 5_000, EndedAt: 65_000},
		{ChannelID: 1, TeamID: 2, AgentID: 8, Direction: domain.DirectionOut, State: domain.CallEnded, Cause: domain.CauseNoAnswer},
		{ChannelID: 1, TeamID: 2, Direction: domain.DirectionIn, State: domain.CallRequested},
		{ChannelID: 1, TeamID: 2, AgentID: 8, Direction: domain.DirectionIn, State: domain.CallEnded, Cause: domain.CauseCalledBack},
	}
	c := ComputeCalls(facts)
	g := c.Total
	if g.Inbound != 3 || g.Answered != 2 || g.Missed != 1 || g.Outbound != 2 || g.OutboundReached != 1 ||
		g.CallbacksRequested != 2 || g.CallbacksDone != 1 {
		t.Fatalf("total %+v", g)
	}
	if *g.AnsweredPct != 66.7 || *g.MissedPct != 33.3 {
		t.Errorf("rates %v %v, want 66.7 and 33.3", *g.AnsweredPct, *g.MissedPct)
	}
	if g.Wait.Count != 2 || g.Wait.MedianMs != 10_000 || g.Wait.P90Ms != 20_000 {
		t.Errorf("wait %+v: want the ring time of the two answered calls", g.Wait)
	}
	if g.Talk.Count != 3 || g.Talk.MedianMs != 60_000 || g.Talk.P90Ms != 240_000 {
		t.Errorf("talk %+v: want 60 s, 60 s and 240 s", g.Talk)
	}
	if len(c.ByAgent) != 3 || c.ByAgent[1].ID != 7 || c.ByAgent[1].Answered != 2 || c.ByAgent[2].Outbound != 2 {
		t.Errorf("by agent %+v", c.ByAgent)
	}
	if rows := c.Rows(); len(rows) != 1+1+1+3 || len(rows[0]) != len(c.Header()) {
		t.Errorf("csv rows %v", rows)
	}
}
