package routing

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// simulated traffic of one channel kind: Poisson arrivals and exponential
// handling times with the means customer-service practice reports.
type traffic struct {
	kind    string
	perHour float64
	handle  time.Duration
}

// dayOfTraffic is a busy but stable day for ten agents, heavy on e-mail as
// a Monday is. In capacity units (call 10, chat 3, e-mail 1 of a budget of
// 10 per agent) the offered load is calls 20/h × 12 min × 10 = 40 units,
// chats 40/h × 2 min × 3 = 4 and e-mails 240/h × 8.5 min × 1 = 34: 78 of
// the 100 units. Lighter e-mail traffic leaves e-mails never waiting while
// calls, which need an idle agent, do; this load is where the order of
// service shows.
var dayOfTraffic = []traffic{
	{KindCall, 20, 12 * time.Minute},
	{KindChat, 40, 2 * time.Minute},
	{KindEmail, 240, 8*time.Minute + 30*time.Second},
}

// completion is an item an agent will finish at a time.
type completion struct {
	at     time.Time
	agent  int64
	ticket int64
}

type completions []completion

func (h completions) Len() int { return len(h) }
func (h completions) Less(i, j int) bool {
	return h[i].at.Before(h[j].at) || h[i].at.Equal(h[j].at) && h[i].ticket < h[j].ticket
}
func (h completions) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *completions) Push(x any)   { *h = append(*h, x.(completion)) }
func (h *completions) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// TestSimulation_ADayOfMixedTrafficAgainstTenAgents runs the day twice:
// with live items interrupting e-mail work (the default) and strict
// (every item counts against the whole budget, so a call needs an idle
// agent). The log lines are the figures in docs/benchmarks.md.
func TestSimulation_ADayOfMixedTrafficAgainstTenAgents(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"interrupting", Config{}}, {"strict", Config{Strict: true}}} {
		t.Run(tc.name, func(t *testing.T) { simulateDay(t, tc.cfg) })
	}
}

func simulateDay(t *testing.T, cfg Config) {
	const agents, day, target = 10, 8 * time.Hour, 60 * time.Second
	rng := rand.New(rand.NewPCG(20250303, 8))
	clk := newClock()
	start := clk.now
	var staff []Agent
	for id := range int64(agents) {
		staff = append(staff, Agent{ID: id + 1})
	}
	e := setupWith(t, clk, cfg, Team{ID: 1, Mode: ModeMostFree}, staff...)
	capacity := DefaultCapacity()

	// Arrivals: each kind a Poisson process over the day, merged in time.
	var arrivals []Item
	for _, tr := range dayOfTraffic {
		mean := float64(time.Hour) / tr.perHour
		for at := start; ; {
			at = at.Add(time.Duration(rng.ExpFloat64() * mean))
			if at.Sub(start) >= day {
				break
			}
			arrivals = append(arrivals, Item{TeamID: 1, Kind: tr.kind, Priority: 1, EnqueuedAt: at})
		}
	}
	slices.SortStableFunc(arrivals, func(x, y Item) int { return x.EnqueuedAt.Compare(y.EnqueuedAt) })
	handle := map[string]time.Duration{}
	for _, tr := range dayOfTraffic {
		handle[tr.kind] = tr.handle
	}

	type outcome struct {
		kind   string
		wait   time.Duration
		served bool
	}
	outcomes := make([]outcome, len(arrivals)+1) // by ticket id
	load, liveLoad := map[int64]int{}, map[int64]int{}
	var busy completions
	apply := func(ds []Decision, now time.Time) {
		for _, d := range ds {
			if d.AgentID == 0 {
				t.Fatalf("ticket %d returned to the queue with everyone online: %s", d.TicketID, d.Reason)
			}
			o := &outcomes[d.TicketID]
			if o.served {
				t.Fatalf("ticket %d assigned twice", d.TicketID)
			}
			o.served, o.wait = true, now.Sub(arrivals[d.TicketID-1].EnqueuedAt)
			cost := capacity.Cost(o.kind)
			// Live items interrupting e-mail need room in the agent's live
			// work; every other item in all its work.
			room := capacity.Budget - load[d.AgentID]
			if e.live[o.kind] && !cfg.Strict {
				room = capacity.Budget - liveLoad[d.AgentID]
			}
			if cost > room {
				t.Fatalf("agent %d got a %s (%d units) with room for %d", d.AgentID, o.kind, cost, room)
			}
			load[d.AgentID] += cost
			if e.live[o.kind] {
				liveLoad[d.AgentID] += cost
			}
			took := time.Duration(rng.ExpFloat64() * float64(handle[o.kind]))
			heap.Push(&busy, completion{now.Add(took), d.AgentID, d.TicketID})
		}
	}
	for next := 0; next < len(arrivals) || busy.Len() > 0; {
		if next < len(arrivals) && (busy.Len() == 0 || !busy[0].at.Before(arrivals[next].EnqueuedAt)) {
			it := &arrivals[next]
			next++
			it.TicketID = int64(next)
			outcomes[next].kind = it.Kind
			apply(e.Enqueue(*it, it.EnqueuedAt), it.EnqueuedAt)
			continue
		}
		c := heap.Pop(&busy).(completion)
		load[c.agent] -= capacity.Cost(outcomes[c.ticket].kind)
		if e.live[outcomes[c.ticket].kind] {
			liveLoad[c.agent] -= capacity.Cost(outcomes[c.ticket].kind)
		}
		apply(e.Release(c.agent, c.ticket, c.at), c.at)
	}

	type result struct {
		n, withinTarget int
		sum, longest    time.Duration
	}
	res := map[string]*result{}
	for id, o := range outcomes[1:] {
		if !o.served {
			t.Fatalf("ticket %d (%s) never served", id+1, o.kind)
		}
		r := res[o.kind]
		if r == nil {
			r = &result{}
			res[o.kind] = r
		}
		r.n++
		r.sum += o.wait
		r.longest = max(r.longest, o.wait)
		if o.wait <= target {
			r.withinTarget++
		}
	}
	mean := func(k string) time.Duration { return res[k].sum / time.Duration(res[k].n) }
	for _, k := range []string{KindCall, KindChat} {
		if mean(k) >= mean(KindEmail) {
			t.Errorf("%s waited %v on average, e-mail %v: live items must come first", k, mean(k), mean(KindEmail))
		}
	}
	// Starving: a live customer on hold for an hour, an e-mail unanswered
	// for half the working day.
	for k, r := range res {
		if limit := map[bool]time.Duration{true: time.Hour, false: day / 2}[e.live[k]]; r.longest > limit {
			t.Errorf("a %s waited %v, more than %v: starved", k, r.longest, limit)
		}
	}

	// The engine mixes kinds in one pool of agents; Erlang C assumes a
	// pool dedicated to one kind. So next to what the engine reached we
	// give Erlang C twice: for all ten agents serving only this kind (the
	// pooled figure, an upper bound nobody reaches while also doing the
	// other work), and for the agents the other kinds leave free on
	// average (the offered units of the other kinds taken out of the
	// hundred, rounded down to whole servers of this kind), which is the
	// fair comparison. The gap between ours and the latter is the cost of
	// draining agents for calls and of packing mixed work.
	units := func(tr traffic) float64 {
		return Traffic(tr.perHour, tr.handle) * float64(capacity.Cost(tr.kind))
	}
	for _, tr := range dayOfTraffic {
		r := res[tr.kind]
		others := 0.0
		for _, o := range dayOfTraffic {
			if o.kind != tr.kind {
				others += units(o)
			}
		}
		per := capacity.Budget / capacity.Cost(tr.kind) // items of this kind one agent holds
		pooled := agents * per
		effective := int((float64(agents*capacity.Budget) - others) / float64(capacity.Cost(tr.kind)))
		t.Logf("%-5s %4d items, mean wait %8v, longest %8v, within %v: engine %5.1f%%, Erlang C with %d servers %5.1f%%, pooled %d servers %5.1f%%",
			tr.kind, r.n, mean(tr.kind).Round(time.Second), r.longest.Round(time.Second), target,
			100*float64(r.withinTarget)/float64(r.n),
			effective, 100*ServiceLevel(effective, tr.perHour, tr.handle, target),
			pooled, 100*ServiceLevel(pooled, tr.perHour, tr.handle, target))
	}
}
