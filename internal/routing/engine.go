package routing

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Engine routes waiting items to agents. It is the in-memory state of every
// team queue, agent presence and load; it does no I/O. The core loads it at
// start-up (SetTeam, SetAgent, Assign for tickets already held, Enqueue for
// waiting ones), feeds it events, and applies and records the Decisions
// each call returns, in order. All methods are safe for concurrent use;
// one mutex serialises them, which keeps decisions consistent and is cheap
// next to the database work around them.
//
// How work is pushed. In a push team (round robin or most free capacity) a
// new item is offered to an agent chosen by the team's mode; an agent whose
// capacity grows (it released work, came online) takes the best waiting
// items of its push teams that fit, best first. When the best item an
// agent could serve does not fit its free units (a call while it holds two
// e-mails), the agent reserves it: it takes no other pushed work until it
// has drained enough, so a call is not starved by a stream of cheap
// e-mails. An item has at most as many reserving agents as its bucket
// has items; an agent that has room for a reserved item right away takes
// it, and one of the reserving agents is released to other work.
type Engine struct {
	mu         sync.Mutex
	cap        *Capacity
	live       map[string]bool
	strict     bool
	priors     map[string]time.Duration
	otherPrior time.Duration
	teams      map[int64]*team
	agents     map[int64]*agent
	items      map[int64]*entry
	absent     map[*agent]struct{} // agents not online
	busy       map[*agent]struct{} // agents on a call or in its wrap-up
	seq        uint64              // counts assignments, for least-recently-assigned

	// state of the running operation
	now  time.Time
	out  []Decision
	todo []pending
}

// pending is an agent to offer work to before the operation returns.
type pending struct {
	a   *agent
	why string
}

// team is the engine's state of one team queue.
type team struct {
	id            int64
	mode          Mode
	cap           *Capacity // nil: the engine's
	reassignAfter time.Duration
	buckets       map[bucketKey]*bucket
	active        []*bucket                // non-empty buckets
	members       []*agent                 // by id; also the round-robin rotation
	cursor        int                      // next rotation index
	levels        []agentHeap              // pushable agents by free units
	handle        map[string]time.Duration // recent handling time per kind
}

// ewmaWeight is how much one measured handling time moves the team's
// recent handling time of its kind: 0.1 follows a shift within about
// twenty items without jumping at one long call.
const ewmaWeight = 0.1

// New returns an empty engine.
func New(cfg Config) (*Engine, error) {
	c := cfg.Capacity
	if c.Budget == 0 && c.Other == 0 && c.Costs == nil {
		c = DefaultCapacity()
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	live := cfg.LiveKinds
	if live == nil {
		live = DefaultLiveKinds()
	}
	priors := cfg.HandleTimes
	if priors == nil {
		priors = DefaultHandleTimes()
	}
	e := &Engine{
		cap:        c.clone(),
		live:       make(map[string]bool, len(live)),
		strict:     cfg.Strict,
		priors:     maps.Clone(priors),
		otherPrior: cmp.Or(cfg.OtherHandleTime, DefaultOtherHandleTime),
		teams:      map[int64]*team{},
		agents:     map[int64]*agent{},
		items:      map[int64]*entry{},
		absent:     map[*agent]struct{}{},
		busy:       map[*agent]struct{}{},
	}
	for _, k := range live {
		e.live[k] = true
	}
	return e, nil
}

// team returns the team with id, creating a manual team with the engine's
// capacity if it is unknown.
func (e *Engine) team(id int64) *team {
	t := e.teams[id]
	if t == nil {
		t = &team{id: id, mode: ModeManual, buckets: map[bucketKey]*bucket{}, handle: map[string]time.Duration{}}
		e.teams[id] = t
	}
	return t
}

// begin starts an operation at now; finish offers work to the agents left
// pending and returns the operation's decisions.
func (e *Engine) begin(now time.Time) { e.now = now }

func (e *Engine) finish() []Decision {
	for len(e.todo) > 0 {
		p := e.todo[0]
		e.todo = e.todo[1:]
		e.dispatch(p.a, p.why)
	}
	e.todo = nil
	out := e.out
	e.out = nil
	return out
}

// SetTeam creates or updates a team's settings and pushes whatever the new
// settings allow.
func (e *Engine) SetTeam(t Team, now time.Time) ([]Decision, error) {
	if !t.Mode.valid() {
		return nil, ErrBadMode
	}
	c, err := checkedCopy(t.Capacity)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.begin(now)
	tm := e.team(t.ID)
	tm.mode = cmp.Or(t.Mode, ModeManual)
	tm.cap = c
	tm.reassignAfter = t.ReassignAfter
	for _, a := range tm.members {
		if a.reserved != nil && a.reserved.team == tm && !tm.mode.pushes() {
			e.unreserve(a)
		}
		e.refreshCapacity(a)
	}
	for _, a := range tm.members {
		e.dispatch(a, "pushed as team settings changed")
	}
	for _, b := range slices.Clone(tm.active) {
		e.offer(b, "pushed as team settings changed")
	}
	return e.finish(), nil
}

// SetAgent creates or updates an agent: teams, skills, capacity and
// presence. Items it holds stay with it, also those of teams it left.
func (e *Engine) SetAgent(ag Agent, now time.Time) ([]Decision, error) {
	if !ag.Presence.valid() {
		return nil, ErrBadPresence
	}
	own, err := checkedCopy(ag.Capacity)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.begin(now)
	since := ag.Since
	if since.IsZero() || since.After(now) {
		since = now
	}
	a := e.agents[ag.ID]
	if a == nil {
		a = &agent{id: ag.ID, held: map[int64]*entry{}, presence: PresenceOffline, since: since, leftAt: since}
		e.agents[ag.ID] = a
		e.absent[a] = struct{}{}
	}
	var lapsed *bucket
	if a.reserved != nil && !slices.Contains(ag.TeamIDs, a.reserved.team.id) {
		lapsed = a.reserved
		e.unreserve(a)
	}
	e.leaveTeams(a)
	for _, id := range ag.TeamIDs {
		t := e.team(id)
		if slices.Contains(a.teams, t) {
			continue
		}
		a.teams = append(a.teams, t)
		i, _ := slices.BinarySearchFunc(t.members, a.id, func(x *agent, id int64) int { return cmp.Compare(x.id, id) })
		t.members = slices.Insert(t.members, i, a)
		if i < t.cursor {
			t.cursor++
		}
		a.mems = append(a.mems, &membership{a: a, t: t, pos: -1})
	}
	a.skills = make(map[string]bool, len(ag.Skills))
	for _, s := range ag.Skills {
		a.skills[s] = true
	}
	a.own = own
	e.refreshCapacity(a)
	if lapsed != nil {
		e.offer(lapsed, "pushed as an agent who was making room for it left the team")
	}
	if a.presence != ag.Presence {
		e.setPresence(a, ag.Presence, since)
	} else {
		e.dispatch(a, "pushed as agent settings changed")
	}
	return e.finish(), nil
}

// leaveTeams takes a out of all its teams' rotations and indexes.
func (e *Engine) leaveTeams(a *agent) {
	for _, m := range a.mems {
		if m.pos >= 0 {
			removeMembership(m)
		}
		t := m.t
		i := slices.Index(t.members, a)
		t.members = slices.Delete(t.members, i, i+1)
		if i < t.cursor {
			t.cursor--
		}
		if t.cursor >= len(t.members) {
			t.cursor = 0
		}
	}
	a.mems, a.teams = nil, nil
}

// refreshCapacity recomputes a's effective capacity and re-indexes it.
func (e *Engine) refreshCapacity(a *agent) {
	a.cap = a.own
	for _, t := range a.teams {
		if a.cap == nil && t.cap != nil {
			a.cap = t.cap
		}
	}
	if a.cap == nil {
		a.cap = e.cap
	}
	a.reindex()
}

// SetPresence changes an agent's presence. Coming online pushes work to
// it; going away or offline stops pushes, gives up any item it was making
// room for, and starts the grace period after which Tick returns its items.
func (e *Engine) SetPresence(agentID int64, p Presence, now time.Time) ([]Decision, error) {
	if !p.valid() {
		return nil, ErrBadPresence
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil {
		return nil, ErrUnknownAgent
	}
	e.begin(now)
	e.setPresence(a, p, now)
	return e.finish(), nil
}

// setPresence changes a's presence, which changed at at.
func (e *Engine) setPresence(a *agent, p Presence, at time.Time) {
	if p == a.presence {
		return
	}
	wasOnline := a.presence == PresenceOnline
	a.presence, a.since = p, at
	if p == PresenceOnline {
		delete(e.absent, a)
		a.reindex()
		e.dispatch(a, "pushed as the agent came online")
		return
	}
	e.absent[a] = struct{}{}
	if wasOnline {
		a.leftAt = at
	}
	if b := a.reserved; b != nil {
		e.unreserve(a)
		e.offer(b, fmt.Sprintf("pushed as agent %d who was making room for it went %s", a.id, p))
	}
	a.reindex()
}

// RemoveAgent forgets an agent (deleted or disabled) and returns the items
// it held to their queues.
func (e *Engine) RemoveAgent(agentID int64, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil {
		return nil
	}
	e.begin(now)
	lapsed := a.reserved
	if lapsed != nil {
		e.unreserve(a)
	}
	e.leaveTeams(a)
	delete(e.agents, agentID)
	delete(e.absent, a)
	delete(e.busy, a)
	a.presence = PresenceOffline
	for _, id := range slices.Sorted(maps.Keys(a.held)) {
		e.requeue(a.held[id], fmt.Sprintf("returned to the queue: agent %d was removed", a.id))
	}
	if lapsed != nil {
		e.offer(lapsed, fmt.Sprintf("pushed as agent %d who was making room for it was removed", a.id))
	}
	return e.finish()
}

// Enqueue puts an item in its team's queue, replacing anything known about
// the ticket before (a changed priority; a ticket handed back), and pushes
// it if the team's mode and the agents' capacity allow.
func (e *Engine) Enqueue(it Item, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.begin(now)
	en := e.track(it)
	b := e.team(it.TeamID).push(en)
	e.offer(b, "pushed on arrival")
	return e.finish()
}

// track replaces what the engine knows about the ticket by a new entry.
func (e *Engine) track(it Item) *entry {
	if old := e.items[it.TicketID]; old != nil {
		e.detach(old)
	}
	it.Priority = min(max(it.Priority, 0), 3)
	it.Skills = slices.Clone(it.Skills)
	if it.EnqueuedAt.IsZero() {
		it.EnqueuedAt = e.now
	}
	en := &entry{item: it, live: e.live[it.Kind], interrupts: e.live[it.Kind] && !e.strict}
	e.items[it.TicketID] = en
	return en
}

// Assign records that an agent holds an item whatever decided it: a manual
// assignment, or the state loaded at start-up. It may take the agent over
// its budget; nothing more is pushed to it until it is back under.
func (e *Engine) Assign(agentID int64, it Item, now time.Time) ([]Decision, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil {
		return nil, ErrUnknownAgent
	}
	e.begin(now)
	e.team(it.TeamID)
	var started time.Time
	if old := e.items[it.TicketID]; old != nil && old.agent == a {
		started = old.assignedAt // the same work goes on: keep measuring it
	}
	en := e.track(it)
	e.hold(a, en)
	if !started.IsZero() {
		en.assignedAt = started
	}
	return e.finish(), nil
}

// Remove forgets a ticket (solved, closed, deleted); an agent holding it
// gets the freed capacity filled. Use Release when an agent finished work,
// so that its handling time is measured.
func (e *Engine) Remove(ticketID int64, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	en := e.items[ticketID]
	if en == nil {
		return nil
	}
	e.begin(now)
	e.detach(en)
	return e.finish()
}

// Release records that an agent finished an item: its handling time feeds
// the estimated wait, and the freed capacity is filled from the queue.
// Releasing an item the agent does not hold does nothing.
func (e *Engine) Release(agentID, ticketID int64, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil || a.held[ticketID] == nil {
		return nil
	}
	e.begin(now)
	en := a.held[ticketID]
	t := e.team(en.item.TeamID)
	cur, ok := t.handle[en.item.Kind]
	if !ok {
		cur = e.prior(en.item.Kind)
	}
	took := max(now.Sub(en.assignedAt), 0)
	t.handle[en.item.Kind] = cur + time.Duration(ewmaWeight*float64(took-cur))
	e.detach(en)
	return e.finish()
}

func (e *Engine) prior(kind string) time.Duration {
	if d, ok := e.priors[kind]; ok {
		return d
	}
	return e.otherPrior
}

// SetBusy marks an agent as taken by a telephone call until until: the
// call lasts, or its wrap-up time runs. Nothing is pushed to the agent
// meanwhile, and an item it was making room for goes to another agent;
// Tick frees it once until has passed. An until not after now frees it at
// once. The agent can still pull work (GetNext).
func (e *Engine) SetBusy(agentID int64, until, now time.Time) ([]Decision, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil {
		return nil, ErrUnknownAgent
	}
	e.begin(now)
	if !until.After(now) {
		e.unbusy(a)
		return e.finish(), nil
	}
	a.busyUntil = until
	e.busy[a] = struct{}{}
	if b := a.reserved; b != nil {
		e.unreserve(a)
		e.offer(b, fmt.Sprintf("pushed as agent %d who was making room for it took a call", a.id))
	}
	a.reindex()
	return e.finish(), nil
}

// unbusy frees an agent from its call and pushes work to it.
func (e *Engine) unbusy(a *agent) {
	if a.busyUntil.IsZero() {
		return
	}
	a.busyUntil = time.Time{}
	delete(e.busy, a)
	a.reindex()
	e.dispatch(a, "pushed as the agent's call and wrap-up ended")
}

// GetNext lets an online agent pull the best waiting item of any of its
// teams, manual ones included, that it has the skills and free capacity
// for. The pulled item, if any, is the first decision; any further ones
// are knock-on pushes to other agents.
func (e *Engine) GetNext(agentID int64, now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.agents[agentID]
	if a == nil || a.presence != PresenceOnline {
		return nil
	}
	e.begin(now)
	if b := e.bestFor(a, false); b != nil {
		if a.reserved == b {
			e.unreserve(a)
		}
		e.assign(a, b.head(), "pulled by the agent (get next)")
	}
	return e.finish()
}

// Tick frees agents whose call wrap-up has passed and returns to the queue
// the items held by agents who have been away or offline for longer than
// the item's team allows (Team.ReassignAfter), and pushes them on. Call it
// every few seconds.
func (e *Engine) Tick(now time.Time) []Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.begin(now)
	for _, a := range slices.SortedFunc(maps.Keys(e.busy), byID) {
		if !a.busyUntil.After(now) {
			e.unbusy(a)
		}
	}
	absent := slices.SortedFunc(maps.Keys(e.absent), byID)
	for _, a := range absent {
		gone := now.Sub(a.leftAt)
		for _, id := range slices.Sorted(maps.Keys(a.held)) {
			en := a.held[id]
			grace := e.teams[en.item.TeamID].reassignAfter
			if grace > 0 && gone >= grace {
				e.requeue(en, fmt.Sprintf("returned to the queue: agent %d %s for %s, past the team's grace period of %s", a.id, a.presence, gone, grace))
			}
		}
	}
	return e.finish()
}

func byID(x, y *agent) int { return cmp.Compare(x.id, y.id) }

// hold gives en to a.
func (e *Engine) hold(a *agent, en *entry) {
	en.agent, en.cost, en.assignedAt = a, a.cap.Cost(en.item.Kind), e.now
	a.held[en.item.TicketID] = en
	a.load += en.cost
	if en.live {
		a.liveLoad += en.cost
	}
	e.seq++
	a.lastSeq = e.seq
	a.reindex()
}

// unhold takes en from its agent.
func (e *Engine) unhold(en *entry) *agent {
	a := en.agent
	delete(a.held, en.item.TicketID)
	a.load -= en.cost
	if en.live {
		a.liveLoad -= en.cost
	}
	en.agent = nil
	a.reindex()
	return a
}

// detach forgets en wherever it is and fixes what that frees.
func (e *Engine) detach(en *entry) {
	delete(e.items, en.item.TicketID)
	if b := en.b; b != nil {
		b.take(en)
		e.fix(b)
		return
	}
	a := e.unhold(en)
	e.todo = append(e.todo, pending{a, fmt.Sprintf("pushed as capacity freed (ticket %d done)", en.item.TicketID)})
}

// requeue moves a held item back into its queue, keeping its place by its
// original enqueue time.
func (e *Engine) requeue(en *entry, reason string) {
	a := e.unhold(en)
	e.out = append(e.out, Decision{TicketID: en.item.TicketID, TeamID: en.item.TeamID, From: a.id, Reason: reason})
	b := e.teams[en.item.TeamID].push(en)
	e.offer(b, "pushed after it was returned to the queue")
}

// assign gives the waiting en to a and records the decision.
func (e *Engine) assign(a *agent, en *entry, why string) {
	b := en.b
	b.take(en)
	e.hold(a, en)
	waited := e.now.Sub(en.item.EnqueuedAt)
	e.out = append(e.out, Decision{
		TicketID: en.item.TicketID,
		AgentID:  a.id,
		TeamID:   en.item.TeamID,
		Reason: fmt.Sprintf("%s: %s item, priority %d, waited %s; agent load now %d of %d units",
			why, en.item.Kind, en.item.Priority, waited.Round(time.Second), a.load, a.cap.Budget),
		Waited: waited,
	})
	e.fix(b)
}

// fix releases reservations a bucket no longer has items for, starting
// with the agent furthest from having room, and offers those agents other
// work before the operation ends.
func (e *Engine) fix(b *bucket) {
	for len(b.reservers) > b.len() {
		r := slices.MinFunc(b.reservers, func(x, y *agent) int { return cmp.Compare(x.room(b), y.room(b)) })
		e.unreserve(r)
		e.todo = append(e.todo, pending{r, "pushed as the item it was making room for went elsewhere"})
	}
}

func (e *Engine) reserve(a *agent, b *bucket) {
	a.reserved = b
	b.reservers = append(b.reservers, a)
	a.reindex()
}

func (e *Engine) unreserve(a *agent) {
	b := a.reserved
	i := slices.Index(b.reservers, a)
	b.reservers = slices.Delete(b.reservers, i, i+1)
	a.reserved = nil
	a.reindex()
}

// dispatch pushes work to a while it is online and has room, best item
// first; when the best item it could serve does not fit yet, a reserves it
// and stops taking other work.
func (e *Engine) dispatch(a *agent, why string) {
	for a.presence == PresenceOnline && a.busyUntil.IsZero() {
		if b := a.reserved; b != nil {
			if !a.fits(b) {
				return
			}
			e.unreserve(a)
			e.assign(a, b.head(), "pushed to the agent that made room for it")
			continue
		}
		b := e.bestFor(a, true)
		if b == nil {
			return
		}
		if a.fits(b) {
			e.assign(a, b.head(), why)
			continue
		}
		// Make room for b, unless another agent of its team is closer
		// to having room: that one drains for it and a goes on.
		if c := b.team.mostFree(b, false); c != nil && c != a && c.room(b) > a.room(b) {
			if c.fits(b) {
				e.dispatch(c, why)
			} else {
				e.reserve(c, b)
			}
			continue
		}
		e.reserve(a, b)
		return
	}
}

// bestFor returns the bucket whose head a should serve next, or nil. It
// looks at the heads of the non-empty buckets of a's teams only. For a
// push (push true) it skips manual teams and buckets whose items all have
// an agent making room for them, unless a has room right now; for a pull
// it needs room right now.
func (e *Engine) bestFor(a *agent, push bool) *bucket {
	var best *bucket
	for _, t := range a.teams {
		if push && !t.mode.pushes() {
			continue
		}
		for _, b := range t.active {
			fits := a.fits(b)
			if !a.canEverServe(b) || (!fits && (!push || !b.unclaimed())) {
				continue
			}
			if best == nil || ahead(b.head(), best.head()) {
				best = b
			}
		}
	}
	return best
}

// offer pushes b's unclaimed items to agents chosen by the team's mode,
// until none has room.
func (e *Engine) offer(b *bucket, why string) {
	t := b.team
	for b.len() > 0 && b.unclaimed() {
		var a *agent
		var how string
		switch t.mode {
		case ModeMostFree:
			a, how = t.mostFree(b, true), "to the agent with the most free capacity"
		case ModeRoundRobin:
			a, how = t.nextInRotation(b), "to the next agent in rotation"
		}
		if a == nil {
			// Nobody has room: the agent closest to it stops taking
			// other work, if it has some room already. An agent with
			// none is left alone, to take whatever is best when its
			// work ends.
			if c := t.mostFree(b, false); c != nil && c.room(b) > 0 && t.mode.pushes() {
				e.reserve(c, b)
				continue
			}
			return
		}
		n := len(e.out)
		e.dispatch(a, why+", "+how)
		if len(e.out) == n && a.reserved == nil {
			return // no progress; cannot happen since a has room for the head
		}
	}
}

// checkedCopy validates an optional capacity and copies it, so the caller
// cannot change it behind the engine's back; nil stays nil.
func checkedCopy(c *Capacity) (*Capacity, error) {
	if c == nil {
		return nil, nil
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c.clone(), nil
}

// Lookup tells where the engine has a ticket: held by an agent (agentID
// not 0) or waiting (agentID 0), with the item as it was given; ok is
// false when the engine does not know the ticket.
func (e *Engine) Lookup(ticketID int64) (agentID int64, it Item, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en := e.items[ticketID]
	if en == nil {
		return 0, Item{}, false
	}
	if en.agent != nil {
		agentID = en.agent.id
	}
	it = en.item
	it.Skills = slices.Clone(it.Skills)
	return agentID, it, true
}
