package routing

import (
	"container/heap"
	"slices"
	"strings"
	"time"
)

// The waiting items of a team are split into buckets by (kind, priority,
// required skill set). All items of a bucket cost an agent the same, need
// the same skills and are equal in class and priority, so they are
// interchangeable for the choice "which item fits this agent", and within a
// bucket only the SLA due time and the age order them: a heap per bucket
// keeps that order, a second heap keeps the oldest item for the supervisor's
// longest wait.
//
// A decision looks at the head of each non-empty bucket of the agent's
// teams, never at the items behind it: it costs O(buckets + log items).
// The number of buckets is kinds × 4 priorities × distinct skill sets in
// use, which in practice is tens to a few hundred however long the queue.
// The trade-off: a team with thousands of distinct skill combinations
// makes every decision walk thousands of buckets; skills are meant to be
// few (languages, a handful of topics).

// entry is one ticket the engine tracks, waiting in a bucket or held by an
// agent.
type entry struct {
	item Item
	live bool
	// interrupts: a live item that only needs room in its agent's live
	// work (see Config.Strict).
	interrupts bool
	// while waiting:
	b   *bucket
	pos [2]int // index in b.order and b.age
	// while held:
	agent      *agent
	cost       int
	assignedAt time.Time
}

// ahead reports whether x is served before y: live before non-live, then
// higher priority, then earlier SLA due time (none last), then older, then
// lower ticket id so that equal items still have a fixed order.
func ahead(x, y *entry) bool {
	if x.live != y.live {
		return x.live
	}
	if x.item.Priority != y.item.Priority {
		return x.item.Priority > y.item.Priority
	}
	return dueFirst(x, y)
}

// dueFirst orders items of one class and priority.
func dueFirst(x, y *entry) bool {
	xd, yd := x.item.DueAt, y.item.DueAt
	switch {
	case xd.IsZero() != yd.IsZero():
		return yd.IsZero()
	case !xd.Equal(yd):
		return xd.Before(yd)
	}
	return older(x, y)
}

func older(x, y *entry) bool {
	if !x.item.EnqueuedAt.Equal(y.item.EnqueuedAt) {
		return x.item.EnqueuedAt.Before(y.item.EnqueuedAt)
	}
	return x.item.TicketID < y.item.TicketID
}

// entryHeap is a container/heap of entries that records each entry's
// position in entry.pos[slot], so that any entry can be removed in
// O(log n).
type entryHeap struct {
	es   []*entry
	slot int
	less func(x, y *entry) bool
}

func (h *entryHeap) Len() int           { return len(h.es) }
func (h *entryHeap) Less(i, j int) bool { return h.less(h.es[i], h.es[j]) }
func (h *entryHeap) Swap(i, j int) {
	h.es[i], h.es[j] = h.es[j], h.es[i]
	h.es[i].pos[h.slot] = i
	h.es[j].pos[h.slot] = j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.pos[h.slot] = len(h.es)
	h.es = append(h.es, e)
}
func (h *entryHeap) Pop() any {
	n := len(h.es) - 1
	e := h.es[n]
	h.es[n] = nil
	h.es = h.es[:n]
	return e
}

type bucketKey struct {
	kind     string
	priority int
	skills   string // sorted skills joined by skillSep
}

const skillSep = "\x1f"

// bucket holds the waiting items of one team with one key.
type bucket struct {
	team   *team
	key    bucketKey
	skills []string
	order  entryHeap // serving order: due time, then age
	age    entryHeap // age only: the head is the longest waiting
	// reservers are agents draining work to make room for this bucket's
	// items; there are never more of them than items.
	reservers  []*agent
	active     int  // index in team.active
	interrupts bool // its items interrupt deferrable work
}

func (b *bucket) len() int        { return len(b.order.es) }
func (b *bucket) head() *entry    { return b.order.es[0] }
func (b *bucket) unclaimed() bool { return b.len() > len(b.reservers) }

// normalizeSkills returns the sorted, de-duplicated skills and their key.
func normalizeSkills(skills []string) ([]string, string) {
	if len(skills) == 0 {
		return nil, ""
	}
	s := slices.Clone(skills)
	slices.Sort(s)
	s = slices.Compact(s)
	return s, strings.Join(s, skillSep)
}

// push puts a waiting entry into its team's bucket, creating the bucket.
func (t *team) push(en *entry) *bucket {
	skills, key := normalizeSkills(en.item.Skills)
	k := bucketKey{kind: en.item.Kind, priority: en.item.Priority, skills: key}
	b := t.buckets[k]
	if b == nil {
		b = &bucket{team: t, key: k, skills: skills, interrupts: en.interrupts,
			order: entryHeap{slot: 0, less: dueFirst},
			age:   entryHeap{slot: 1, less: older},
		}
		t.buckets[k] = b
	}
	if b.len() == 0 {
		b.active = len(t.active)
		t.active = append(t.active, b)
	}
	en.b = b
	heap.Push(&b.order, en)
	heap.Push(&b.age, en)
	return b
}

// take removes a waiting entry from its bucket and drops the bucket once
// empty, so that decisions never walk empty buckets.
func (b *bucket) take(en *entry) {
	heap.Remove(&b.order, en.pos[0])
	heap.Remove(&b.age, en.pos[1])
	en.b = nil
	if b.len() > 0 {
		return
	}
	t := b.team
	last := t.active[len(t.active)-1]
	t.active[b.active] = last
	last.active = b.active
	t.active = t.active[:len(t.active)-1]
	delete(t.buckets, b.key)
}
