package routing

import (
	"testing"
	"time"
)

// BenchmarkAssign_1000Agents100kWaiting measures one routing decision under
// load: 1,000 online agents, all full, and 100,000 items waiting in 48
// buckets (3 kinds × 4 priorities × 4 skill sets). One op is an agent
// releasing an item, the engine pushing it the best fitting waiting item,
// and a new item arriving to keep the queue at 100,000 (offered to nobody,
// since nobody has room).
func BenchmarkAssign_1000Agents100kWaiting(b *testing.B) {
	const agents, waiting = 1000, 100_000
	clk := newClock()
	e, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.SetTeam(Team{ID: 1, Mode: ModeMostFree}, clk.now); err != nil {
		b.Fatal(err)
	}
	skillSets := [][]string{nil, {"nl"}, {"de"}, {"nl", "billing"}}
	kinds := []string{KindEmail, KindChat, KindEmail} // mostly e-mail, so agents hold several items
	next := int64(0)
	newItem := func() Item {
		next++
		return Item{
			TicketID: next, TeamID: 1, Kind: kinds[next%3], Priority: int(next/3) % 4,
			Skills: skillSets[next/12%4], EnqueuedAt: clk.advance(time.Millisecond),
		}
	}
	for range waiting {
		e.Enqueue(newItem(), clk.now)
	}
	held := map[int64][]int64{} // agent → tickets, in assignment order
	for id := range int64(agents) {
		ds, err := e.SetAgent(Agent{ID: id + 1, TeamIDs: []int64{1}, Skills: []string{"nl", "de", "billing"}, Presence: PresenceOnline}, clk.now)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range ds {
			held[d.AgentID] = append(held[d.AgentID], d.TicketID)
		}
	}
	if len(held) < agents {
		b.Fatal("not every agent got work")
	}
	for range agents * 10 {
		e.Enqueue(newItem(), clk.now) // back to 100,000 waiting
	}
	decisions := 0
	b.ResetTimer()
	for i := range b.N {
		a := int64(i%agents) + 1
		ticket := held[a][0]
		held[a] = held[a][1:]
		ds := e.Release(a, ticket, clk.advance(time.Millisecond))
		for _, d := range ds {
			held[d.AgentID] = append(held[d.AgentID], d.TicketID)
		}
		decisions += len(ds)
		e.Enqueue(newItem(), clk.now)
	}
	b.StopTimer()
	if decisions < b.N {
		b.Fatalf("%d decisions for %d releases", decisions, b.N)
	}
	n := 0
	for _, q := range e.Snapshot(clk.now).Queues {
		n += q.Waiting
	}
	if n < waiting*9/10 {
		b.Fatalf("only %d items still waiting", n)
	}
	b.ReportMetric(float64(decisions)/b.Elapsed().Seconds(), "decisions/s")
}
