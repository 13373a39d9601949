package routing

import (
	"container/heap"
	"time"
)

// agent is the engine's state of one agent.
type agent struct {
	id       int64
	teams    []*team
	skills   map[string]bool
	presence Presence
	since    time.Time // presence last changed
	leftAt   time.Time // stopped being online; the grace period counts from here
	own      *Capacity // the agent's override, or nil
	cap      *Capacity // effective: own, else first team's, else the engine's
	held     map[int64]*entry
	load     int
	liveLoad int     // units of the live items among held
	lastSeq  uint64  // engine.seq at the last assignment: least recently assigned first
	reserved *bucket // the bucket it drains for, or nil
	mems     []*membership
	// busyUntil: the agent is on a call or in its wrap-up until then and
	// gets nothing pushed; zero when free.
	busyUntil time.Time
}

func (a *agent) free() int { return a.cap.Budget - a.load }

// room is the units a's work leaves for one item of b: what its live work
// leaves when b's items interrupt deferrable work, else what all its work
// leaves.
func (a *agent) room(b *bucket) int { return a.roomFor(b.interrupts) }

func (a *agent) roomFor(interrupts bool) int {
	if interrupts {
		return a.cap.Budget - a.liveLoad
	}
	return a.free()
}

// fits reports whether one item of b fits a's room now.
func (a *agent) fits(b *bucket) bool { return a.cap.Cost(b.key.kind) <= a.room(b) }

func (a *agent) has(skills []string) bool {
	for _, s := range skills {
		if !a.skills[s] {
			return false
		}
	}
	return true
}

// canEverServe reports whether a has the skills for b and the budget for
// one of its items when idle.
func (a *agent) canEverServe(b *bucket) bool {
	return a.cap.Cost(b.key.kind) <= a.cap.Budget && a.has(b.skills)
}

// pushable reports whether a may be offered new items at all.
func (a *agent) pushable() bool {
	return a.presence == PresenceOnline && a.reserved == nil && a.busyUntil.IsZero()
}

// membership places an agent in one team's free-capacity index.
type membership struct {
	a     *agent
	t     *team
	level int // free units when indexed
	pos   int // index in t.levels[level], -1 when not indexed
}

// agentHeap orders the agents of one free-capacity level by least recently
// assigned.
type agentHeap []*membership

func (h agentHeap) Len() int { return len(h) }
func (h agentHeap) Less(i, j int) bool {
	if h[i].a.lastSeq != h[j].a.lastSeq {
		return h[i].a.lastSeq < h[j].a.lastSeq
	}
	return h[i].a.id < h[j].a.id
}
func (h agentHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos = i
	h[j].pos = j
}
func (h *agentHeap) Push(x any) {
	m := x.(*membership)
	m.pos = len(*h)
	*h = append(*h, m)
}
func (h *agentHeap) Pop() any {
	old := *h
	n := len(old) - 1
	m := old[n]
	old[n] = nil
	*h = old[:n]
	m.pos = -1
	return m
}

// reindex moves a to the free-capacity level it belongs in, in every team.
// Only online agents that are not reserving and have a free unit are
// indexed: they are the ones a push may go to.
func (a *agent) reindex() {
	for _, m := range a.mems {
		if m.pos >= 0 {
			removeMembership(m)
		}
		if !a.pushable() || a.free() <= 0 {
			continue
		}
		m.level = a.free()
		for len(m.t.levels) <= m.level {
			m.t.levels = append(m.t.levels, nil)
		}
		heap.Push(&m.t.levels[m.level], m)
	}
}

// removeMembership takes m out of its team's free-capacity index.
func removeMembership(m *membership) { heap.Remove(&m.t.levels[m.level], m.pos) }

// mostFree returns the pushable agent of t with the most free units that
// can serve b's items, least recently assigned first, or nil. With
// needRoom it must have room for one now; without, it is the agent closest
// to having room, the one to drain for an item nobody has room for.
//
// It walks the free-capacity levels from the top (budgets are small
// numbers) and, in the common case of an item without skills and one
// capacity for the team, takes the top of the first non-empty level in
// O(1). Items requiring skills scan a level's agents until one has them:
// O(agents of that level) at worst, cheap for teams of tens to hundreds.
func (t *team) mostFree(b *bucket, needRoom bool) *agent {
	if b.interrupts {
		return t.mostLiveRoom(b, needRoom)
	}
	ok := func(a *agent, level int) bool {
		c := a.cap.Cost(b.key.kind)
		return a.has(b.skills) && c <= a.cap.Budget && (!needRoom || c <= level)
	}
	for l := len(t.levels) - 1; l > 0; l-- {
		h := t.levels[l]
		if len(h) == 0 {
			continue
		}
		if ok(h[0].a, l) {
			return h[0].a
		}
		var best *membership
		for i, m := range h {
			if ok(m.a, l) && (best == nil || h.Less(i, best.pos)) {
				best = m
			}
		}
		if best != nil {
			return best.a
		}
	}
	return nil
}

// mostLiveRoom is mostFree for items that interrupt deferrable work: the
// free-capacity index counts all work, so it walks the team's members,
// O(members). Live items are a small share of the traffic, and the walk
// does not grow with the queue.
func (t *team) mostLiveRoom(b *bucket, needRoom bool) *agent {
	var best *agent
	for _, a := range t.members {
		c := a.cap.Cost(b.key.kind)
		if !a.pushable() || !a.has(b.skills) || c > a.cap.Budget || needRoom && c > a.room(b) {
			continue
		}
		if best == nil || a.room(b) > best.room(b) || a.room(b) == best.room(b) && a.lastSeq < best.lastSeq {
			best = a
		}
	}
	return best
}

// nextInRotation returns the first pushable agent from t's rotation cursor
// on that has the skills and room for b's items, and moves the cursor past it.
// It walks at most the team's members once.
func (t *team) nextInRotation(b *bucket) *agent {
	n := len(t.members)
	for i := range n {
		j := (t.cursor + i) % n
		a := t.members[j]
		if a.pushable() && a.has(b.skills) && a.fits(b) {
			t.cursor = (j + 1) % n
			return a
		}
	}
	return nil
}
