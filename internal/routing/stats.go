package routing

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// EstimatedWait returns how long a new item of kind at normal priority
// (rank 1) in the team's queue can expect to wait, and false when nobody
// could serve it: no agent of the team is online with the budget for it.
//
// Zero when the team pushes and an online agent has room for it now and
// nothing is ahead of it. Otherwise the item waits until the work ahead of
// it and the item itself fit, with units freeing as handling ends:
//
//	wait = (Σ_ahead cost_i · H_i + cost · H) / U
//
// where the sum runs over the waiting items served before it (live before
// non-live, priority at least normal), cost is in the team's capacity
// units, H per kind is the team's recent handling time (an exponentially
// weighted average over Release, seeded by Config.HandleTimes), and U is
// the units of the online agents that can hold the kind (per agent its
// budget rounded down to whole items of the kind). With one kind and
// exponential handling this is the M/M/N wait given the queue position:
// (position+1) · H / servers. It assumes agents keep their presence and
// that nothing more urgent arrives, so a non-live item in a busy team
// waits at least this long. It costs O(team members + buckets).
func (e *Engine) EstimatedWait(teamID int64, kind string) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.teams[teamID]
	if t == nil {
		return 0, false
	}
	c := cmp.Or(t.cap, e.cap)
	units, roomNow := 0, false
	for _, a := range t.members {
		ck := a.cap.Cost(kind)
		if a.presence != PresenceOnline || ck > a.cap.Budget {
			continue
		}
		units += a.cap.Budget / ck * ck
		roomNow = roomNow || (t.mode.pushes() && a.pushable() && a.roomFor(e.live[kind] && !e.strict) >= ck)
	}
	if units == 0 {
		return 0, false
	}
	live := e.live[kind]
	work := 0.0
	for _, b := range t.active {
		bl := e.live[b.key.kind]
		if bl == live && b.key.priority < 1 || live && !bl {
			continue
		}
		work += float64(b.len()*c.Cost(b.key.kind)) * float64(e.handleTime(t, b.key.kind))
	}
	if work == 0 && roomNow {
		return 0, true
	}
	work += float64(c.Cost(kind)) * float64(e.handleTime(t, kind))
	return time.Duration(work / float64(units)), true
}

// handleTime is the team's recent handling time of kind.
func (e *Engine) handleTime(t *team, kind string) time.Duration {
	if d, ok := t.handle[kind]; ok {
		return d
	}
	return e.prior(kind)
}

// Snapshot returns the supervisor's view: per team and kind the items
// waiting and the longest wait at now, per agent presence and load. It
// costs O(buckets + agents), not O(items).
func (e *Engine) Snapshot(now time.Time) Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	type qk struct {
		team int64
		kind string
	}
	queues := map[qk]*QueueStat{}
	for _, t := range e.teams {
		for _, b := range t.active {
			k := qk{t.id, b.key.kind}
			q := queues[k]
			if q == nil {
				q = &QueueStat{TeamID: t.id, Kind: b.key.kind}
				queues[k] = q
			}
			q.Waiting += b.len()
			q.LongestWait = max(q.LongestWait, now.Sub(b.age.es[0].item.EnqueuedAt))
		}
	}
	var s Snapshot
	for _, q := range queues {
		s.Queues = append(s.Queues, *q)
	}
	slices.SortFunc(s.Queues, func(x, y QueueStat) int {
		return cmp.Or(cmp.Compare(x.TeamID, y.TeamID), cmp.Compare(x.Kind, y.Kind))
	})
	for _, id := range slices.Sorted(maps.Keys(e.agents)) {
		a := e.agents[id]
		s.Agents = append(s.Agents, AgentStat{
			AgentID: id, Presence: a.presence, Since: a.since,
			Load: a.load, Budget: a.cap.Budget, Items: len(a.held), Reserving: a.reserved != nil,
			BusyUntil: a.busyUntil,
		})
	}
	return s
}
