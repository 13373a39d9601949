package report

import (
	"testing"

	"loket.dev/loket/internal/store"
)

// Handling time is summarised per ticket, over the tickets agents opened,
// in every group the ticket belongs to.
func TestComputeSpeed_HandlingTime(t *testing.T) {
	facts := []store.TicketFact{
		{ID: 1, ChannelID: 7, TeamID: 1, AgentID: 3},
		{ID: 2, ChannelID: 7, TeamID: 1, AgentID: 4},
		{ID: 3, ChannelID: 8, TeamID: 2, AgentID: 3},
		{ID: 4, ChannelID: 8, TeamID: 2}, // never opened
	}
	sp := ComputeSpeed(facts, nil, map[int64]int64{1: 60_000, 2: 180_000, 3: 120_000}, nil)
	if got := sp.Total.Handling; got.Count != 3 || got.MedianMs != 120_000 {
		t.Errorf("total handling %+v, want 3 tickets with a median of 2 minutes", got)
	}
	byChannel := map[int64]Stats{}
	for _, g := range sp.ByChannel {
		byChannel[g.ID] = g.Handling
	}
	if byChannel[7].Count != 2 || byChannel[8].Count != 1 || byChannel[8].MedianMs != 120_000 {
		t.Errorf("handling by channel %+v", byChannel)
	}
	if h := sp.Header(); h[len(h)-4] != "handling_count" {
		t.Errorf("CSV header ends %v", h[len(h)-4:])
	}
}
