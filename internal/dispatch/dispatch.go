// Package dispatch runs ticket routing for a Loket cluster. One node, the
// leader (chosen by a database lock), keeps the routing engine in step with
// the database through the committed events, applies the engine's
// decisions through the desk, and saves its live view of queues, agents
// and estimated waits in the database for every node to read. Agents on
// any node pull work ("get next") through the leader over the event bus.
package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/routing"
	"loket.dev/loket/internal/store"
)

// ErrUnavailable means no node answered a request for the routing engine
// in time: the leader is starting or changing.
var ErrUnavailable = errors.New("routing is not available right now; try again in a few seconds")

// Config wires a Dispatcher.
type Config struct {
	Store *store.Store
	Desk  *desk.Desk
	// Events carries get-next requests to the leader: the cluster bus, or
	// the hub on a single node. The dispatcher must also be a listener of
	// the hub (realtime.Hub.Listen) to see every committed event.
	Events domain.Publisher
	Log    *slog.Logger
	Engine routing.Config
	// Tick is how often held work of absent agents is checked and the live
	// view saved; zero means 5 seconds.
	Tick time.Duration
	// Now is the clock; nil is the real one.
	Now func() time.Time
	// Connected returns the agents whose app is connected to this node
	// (realtime.Hub.Agents). Online agents whose app no node has seen for
	// AwayAfter are set away, so work is not pushed to someone who left.
	// Nil: never.
	Connected func() []int64
	// AwayAfter defaults to 2 minutes.
	AwayAfter time.Duration
}

// Dispatcher is one node's part in routing.
type Dispatcher struct {
	store  *store.Store
	desk   *desk.Desk
	events domain.Publisher
	log    *slog.Logger
	cfg    routing.Config
	tick   time.Duration
	now    func() time.Time
	conn   func() []int64
	away   time.Duration

	in   chan domain.Event
	lost atomic.Bool                    // an event was dropped: reload on the next tick
	lead atomic.Pointer[routing.Engine] // the engine while this node leads

	mu      sync.Mutex
	waiters map[int64]chan int64
	view    *View
	viewAt  time.Time
	scope   scope // what the view covers, while this node leads

	// Run's goroutine (and so the leader loop) only.
	started time.Time
	kinds   map[int64]string // channel id → kind
	dirty   map[int64]bool   // tickets to re-read on the next tick
	saved   []byte           // the view last saved, without its time
	savedAt time.Time
}

// scope is the teams and channel kinds the live view gives estimates for.
type scope struct {
	teams []int64
	kinds []string
}

// savedMaxAge is how long an unchanged view may go without being saved
// again, so its time still tells the other nodes a leader is there.
const savedMaxAge = time.Minute

// New returns a dispatcher; Run makes it take part.
func New(cfg Config) *Dispatcher {
	d := &Dispatcher{
		store: cfg.Store, desk: cfg.Desk, events: cfg.Events, log: cfg.Log, cfg: cfg.Engine,
		tick: cmp.Or(cfg.Tick, 5*time.Second), now: cfg.Now, conn: cfg.Connected, away: cmp.Or(cfg.AwayAfter, 2*time.Minute),
		in:      make(chan domain.Event, 65536),
		waiters: map[int64]chan int64{},
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d
}

// Publish receives committed events from the hub. It never blocks: when
// the queue is full the event is dropped and the leader reloads everything
// on its next tick.
func (d *Dispatcher) Publish(events ...domain.Event) {
	for _, ev := range events {
		switch ev.Type {
		case domain.EventRoutingNextDone:
			d.answer(ev.Request, ev.TicketID)
			continue
		case domain.EventTicketCreated, domain.EventTicketUpdated, domain.EventAgentPresence,
			domain.EventAgentUpdated, domain.EventTeamUpdated, domain.EventRoutingNext:
		case domain.EventCallUpdated:
			if ev.Call == nil || ev.Call.AgentID == 0 {
				continue
			}
		default:
			continue
		}
		ev.Ticket, ev.Message = nil, nil
		select {
		case d.in <- ev:
		default:
			if !d.lost.Swap(true) {
				d.log.Warn("routing event queue full; the router reloads its state")
			}
		}
	}
}

// Lost implements the hub's notice that events may have been missed: the
// leader reloads its state on the next tick.
func (d *Dispatcher) Lost() {
	if !d.lost.Swap(true) {
		d.log.Warn("routing: events may have been missed; the router reloads its state")
	}
}

func (d *Dispatcher) answer(request, ticketID int64) {
	d.mu.Lock()
	ch := d.waiters[request]
	delete(d.waiters, request)
	d.mu.Unlock()
	if ch != nil {
		ch <- ticketID
	}
}

// Run takes part in routing until ctx is done: it leads while it holds the
// routing lock and retries to get it otherwise.
func (d *Dispatcher) Run(ctx context.Context) {
	d.started = d.now()
	if d.conn != nil {
		go d.heartbeat(ctx)
	}
	for ctx.Err() == nil {
		lock, err := d.store.TryLock(ctx, "routing")
		if err != nil && ctx.Err() == nil {
			d.log.Warn("routing: cannot try the leader lock", "err", err)
		}
		if lock == nil {
			d.follow(ctx)
			continue
		}
		d.log.Info("routing: this node leads")
		if err := d.runLeader(ctx, lock); err != nil && ctx.Err() == nil {
			d.log.Error("routing: stopped leading", "err", err)
		}
		d.lead.Store(nil)
		lock.Release()
	}
}

// heartbeat records every few seconds which agents have the app open on
// this node.
func (d *Dispatcher) heartbeat(ctx context.Context) {
	every := min(d.away/4, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.store.TouchAgents(ctx, d.conn(), d.now().UnixMilli()); err != nil && ctx.Err() == nil {
				d.log.Warn("routing: cannot record connected agents", "err", err)
			}
		}
	}
}

// awayUnseen sets away the online agents whose app no node has seen for a
// while. Not before AwayAfter has passed since this node started: after a
// restart of every node nobody was seen lately, and the apps need a moment
// to reconnect and be seen again.
func (d *Dispatcher) awayUnseen(ctx context.Context) {
	now := d.now()
	if d.conn == nil || now.Sub(d.started) < d.away {
		return
	}
	before := now.Add(-d.away).UnixMilli()
	ids, err := d.store.UnseenOnline(ctx, before)
	if err != nil {
		d.log.Warn("routing: cannot find absent agents", "err", err)
		return
	}
	for _, id := range ids {
		if _, err := d.desk.AwayIfUnseen(ctx, id, before); err != nil {
			d.log.Warn("routing: cannot set an absent agent away", "agent", id, "err", err)
		}
	}
}

// follow waits one tick while another node leads, discarding events: a
// node that becomes leader loads the whole state from the database.
func (d *Dispatcher) follow(ctx context.Context) {
	t := time.NewTimer(d.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-d.in:
		}
	}
}

func (d *Dispatcher) runLeader(ctx context.Context, lock *store.Lock) error {
	eng, err := d.load(ctx)
	if err != nil {
		return err
	}
	d.lead.Store(eng)
	d.saveView(ctx, eng)
	tick := time.NewTicker(d.tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-d.in:
			batch := []domain.Event{ev}
			for len(batch) < 1024 {
				select {
				case ev := <-d.in:
					batch = append(batch, ev)
					continue
				default:
				}
				break
			}
			d.handle(ctx, eng, batch)
		case <-tick.C:
			checkCtx, cancel := context.WithTimeout(ctx, max(d.tick, time.Second))
			err := lock.Check(checkCtx)
			cancel()
			if err != nil {
				return fmt.Errorf("leader lock lost: %w", err)
			}
			if d.lost.Swap(false) {
				if eng, err = d.load(ctx); err != nil {
					return err
				}
				d.lead.Store(eng)
			}
			d.awayUnseen(ctx)
			d.apply(ctx, eng, eng.Tick(d.now()))
			if len(d.dirty) > 0 {
				ids := slices.Sorted(maps.Keys(d.dirty))
				clear(d.dirty)
				d.syncTickets(ctx, eng, ids)
			}
			d.saveView(ctx, eng)
		}
	}
}

// Leading reports whether this node runs the routing engine now.
func (d *Dispatcher) Leading() bool { return d.lead.Load() != nil }

// load builds an engine from the database: teams, agents, and every ticket
// waiting or held, then applies what the engine decides at once (work that
// queued while no node led).
func (d *Dispatcher) load(ctx context.Context) (*routing.Engine, error) {
	eng, err := routing.New(d.cfg)
	if err != nil {
		return nil, err
	}
	d.kinds, d.dirty, d.saved = map[int64]string{}, map[int64]bool{}, nil
	// Drop events already queued: the load reads the state they describe.
	// Only agents' get-next requests are kept, to be answered after it. An
	// event dropped from here on is read by the load or follows it.
	d.lost.Store(false)
	var asks []domain.Event
	for len(d.in) > 0 {
		if ev := <-d.in; ev.Type == domain.EventRoutingNext {
			asks = append(asks, ev)
		}
	}
	now := d.now()
	var decisions []routing.Decision
	channels, err := d.store.Channels(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, ch := range channels {
		d.kinds[ch.ID] = ch.Kind
	}
	teams, err := d.store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	teamIDs := []int64{}
	for _, t := range teams {
		dec, err := eng.SetTeam(teamOf(t), now)
		if err != nil {
			return nil, fmt.Errorf("routing: team %d: %w", t.ID, err)
		}
		decisions = append(decisions, dec...)
		teamIDs = append(teamIDs, t.ID)
	}
	slices.Sort(teamIDs)
	agents, err := d.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		dec, err := eng.SetAgent(agentOf(a), now)
		if err != nil {
			return nil, fmt.Errorf("routing: agent %d: %w", a.ID, err)
		}
		decisions = append(decisions, dec...)
	}
	// Held work first, so capacity is known before waiting work is pushed.
	// Work held by a disabled agent returns to the queue, as it does when
	// an agent is disabled while this node leads.
	var waiting []routing.Item
	err = d.store.RoutableTickets(ctx, func(rt store.RoutableTicket) error {
		it := itemOf(&rt)
		if rt.AssigneeID == 0 {
			waiting = append(waiting, it)
			return nil
		}
		dec, err := eng.Assign(rt.AssigneeID, it, now)
		if errors.Is(err, routing.ErrUnknownAgent) {
			waiting = append(waiting, it)
			decisions = append(decisions, routing.Decision{TicketID: rt.ID, TeamID: rt.TeamID, From: rt.AssigneeID,
				Reason: fmt.Sprintf("returned to the queue: agent %d is disabled", rt.AssigneeID)})
			return nil
		}
		decisions = append(decisions, dec...)
		return err
	})
	if err != nil {
		return nil, err
	}
	busy, err := d.desk.BusyAgents(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range busy {
		dec, err := eng.SetBusy(b.AgentID, time.UnixMilli(b.Until), now)
		if err != nil && !errors.Is(err, routing.ErrUnknownAgent) {
			return nil, err
		}
		decisions = append(decisions, dec...)
	}
	for _, it := range waiting {
		decisions = append(decisions, eng.Enqueue(it, now)...)
	}
	d.setScope(teamIDs)
	d.apply(ctx, eng, decisions)
	for _, ev := range asks {
		d.getNext(ctx, eng, ev)
	}
	return eng, nil
}

// handle applies a batch of events, reading each ticket, agent and team
// once however often it changed.
func (d *Dispatcher) handle(ctx context.Context, eng *routing.Engine, batch []domain.Event) {
	tickets, agents, teams := map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	calls := map[int64]*domain.Call{} // each agent's latest call
	var order []int64
	for _, ev := range batch {
		switch ev.Type {
		case domain.EventCallUpdated:
			calls[ev.Call.AgentID] = ev.Call
		case domain.EventTicketCreated, domain.EventTicketUpdated:
			if !tickets[ev.TicketID] {
				tickets[ev.TicketID] = true
				order = append(order, ev.TicketID)
			}
		case domain.EventAgentPresence, domain.EventAgentUpdated:
			agents[ev.AssigneeID] = true
		case domain.EventTeamUpdated:
			teams[ev.TeamID] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(teams)) {
		d.syncTeam(ctx, eng, id)
	}
	for _, id := range slices.Sorted(maps.Keys(agents)) {
		d.syncAgent(ctx, eng, id)
	}
	for _, id := range slices.Sorted(maps.Keys(calls)) {
		d.syncCall(ctx, eng, calls[id])
	}
	if len(order) > 0 {
		d.syncTickets(ctx, eng, order)
	}
	for _, ev := range batch {
		if ev.Type == domain.EventRoutingNext {
			d.getNext(ctx, eng, ev)
		}
	}
}

// syncCall keeps an agent taken by a call busy for routing: while it lasts,
// then through its wrap-up.
func (d *Dispatcher) syncCall(ctx context.Context, eng *routing.Engine, c *domain.Call) {
	if c.State != domain.CallAnswered && c.State != domain.CallEnded {
		return
	}
	dec, err := eng.SetBusy(c.AgentID, time.UnixMilli(c.FreeAt()), d.now())
	if err != nil {
		return // an agent routing does not know (disabled)
	}
	d.apply(ctx, eng, dec)
}

// getNext serves an agent's pull and answers the node that asked. When
// the pulled ticket was taken meanwhile, the engine re-reads it and the
// agent and pulls again, a few times at most.
func (d *Dispatcher) getNext(ctx context.Context, eng *routing.Engine, ev domain.Event) {
	var pulled int64
	var rest []routing.Decision
	for range 3 {
		decisions := eng.GetNext(ev.AssigneeID, d.now())
		if len(decisions) == 0 || decisions[0].AgentID != ev.AssigneeID {
			rest = append(rest, decisions...)
			break
		}
		_, err := d.desk.Route(ctx, routeOf(decisions[0]))
		rest = append(rest, decisions[1:]...)
		if err == nil {
			pulled = decisions[0].TicketID
			break
		}
		rest = append(rest, d.failed(ctx, eng, decisions[0], err)...)
		if !errors.Is(err, desk.ErrStaleDecision) {
			break
		}
	}
	d.events.Publish(domain.Event{Type: domain.EventRoutingNextDone, Request: ev.Request, TicketID: pulled, AssigneeID: ev.AssigneeID})
	d.apply(ctx, eng, rest)
}

// maxStale bounds how often one apply retries a ticket whose decisions
// keep going stale (the database changes faster than the events arrive);
// the next tick takes it up again.
const maxStale = 3

// apply carries out decisions in order; one that no longer fits the ticket
// makes the engine re-read the ticket and agent, which may decide more.
func (d *Dispatcher) apply(ctx context.Context, eng *routing.Engine, decisions []routing.Decision) {
	var stale map[int64]int
	for i := 0; i < len(decisions); i++ {
		dec := decisions[i]
		_, err := d.desk.Route(ctx, routeOf(dec))
		if err == nil {
			continue
		}
		if errors.Is(err, desk.ErrStaleDecision) {
			if stale == nil {
				stale = map[int64]int{}
			}
			if stale[dec.TicketID]++; stale[dec.TicketID] > maxStale {
				d.dirty[dec.TicketID] = true
				continue
			}
		}
		decisions = append(decisions, d.failed(ctx, eng, dec, err)...)
	}
}

func routeOf(dec routing.Decision) desk.Routing {
	return desk.Routing{TicketID: dec.TicketID, TeamID: dec.TeamID, From: dec.From, To: dec.AgentID, Reason: dec.Reason, Waited: dec.Waited}
}

// failed handles a decision that could not be applied: a stale one is
// corrected from the database now (the agent it was for too, whose teams
// or state the engine may not have heard of yet: without that the engine
// would decide the same again), others (the database is unreachable) on
// the next tick.
func (d *Dispatcher) failed(ctx context.Context, eng *routing.Engine, dec routing.Decision, err error) []routing.Decision {
	if errors.Is(err, desk.ErrStaleDecision) {
		var out []routing.Decision
		if dec.AgentID != 0 {
			out = d.agentDecisions(ctx, eng, dec.AgentID)
		}
		return append(out, d.resync(ctx, eng, dec.TicketID)...)
	}
	if ctx.Err() == nil {
		d.log.Warn("routing: decision not applied", "ticket", dec.TicketID, "agent", dec.AgentID, "err", err)
	}
	d.dirty[dec.TicketID] = true
	return nil
}

// syncTickets brings the engine in line with the tickets in the database,
// read in one go, and applies what follows.
func (d *Dispatcher) syncTickets(ctx context.Context, eng *routing.Engine, ids []int64) {
	rows, err := d.store.TicketsRouting(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("routing: cannot read tickets", "err", err)
		}
		for _, id := range ids {
			d.dirty[id] = true
		}
		return
	}
	for _, id := range ids {
		d.apply(ctx, eng, d.reconcile(eng, id, rows[id]))
	}
}

// resync brings the engine in line with one ticket and returns the
// decisions that follow from it.
func (d *Dispatcher) resync(ctx context.Context, eng *routing.Engine, id int64) []routing.Decision {
	rows, err := d.store.TicketsRouting(ctx, []int64{id})
	if err != nil {
		d.dirty[id] = true
		return nil
	}
	return d.reconcile(eng, id, rows[id])
}

// reconcile brings the engine in line with ticket id as read (nil: it no
// longer exists) and returns the decisions that follow from it.
func (d *Dispatcher) reconcile(eng *routing.Engine, id int64, t *store.TicketRouting) []routing.Decision {
	now := d.now()
	if t == nil {
		return eng.Remove(id, now)
	}
	holder, was, known := eng.Lookup(id)
	if (t.Status != domain.StatusNew && t.Status != domain.StatusOpen) || t.TeamID == 0 || t.BotState == domain.BotActive {
		if known && holder != 0 && holder == t.AssigneeID && !t.Status.Active() {
			return eng.Release(holder, id, now) // finished: its handling time counts
		}
		return eng.Remove(id, now)
	}
	if t.ChannelID != 0 && d.kinds[t.ChannelID] != t.Kind {
		d.kinds[t.ChannelID] = t.Kind
		d.setScope(nil)
	}
	it := itemOf(&t.RoutableTicket)
	if t.AssigneeID != 0 {
		if known && holder == t.AssigneeID && was.TeamID == it.TeamID && was.Kind == it.Kind {
			return nil
		}
		dec, err := eng.Assign(t.AssigneeID, it, now)
		if errors.Is(err, routing.ErrUnknownAgent) {
			return eng.Remove(id, now) // a disabled agent's: not routed
		}
		return dec
	}
	if known && holder == 0 && was.TeamID == it.TeamID && was.Priority == it.Priority &&
		was.Kind == it.Kind && was.DueAt.Equal(it.DueAt) && slices.Equal(was.Skills, it.Skills) {
		return nil // waiting as before
	}
	return eng.Enqueue(it, now)
}

// itemOf describes a ticket to the engine.
func itemOf(rt *store.RoutableTicket) routing.Item {
	return routing.Item{
		TicketID: rt.ID, TeamID: rt.TeamID, Kind: rt.Kind, Priority: rt.Priority.Rank(), Skills: rt.Skills,
		EnqueuedAt: time.UnixMilli(rt.EnqueuedAt), DueAt: msTime(rt.SLADue),
	}
}

func (d *Dispatcher) syncAgent(ctx context.Context, eng *routing.Engine, id int64) {
	d.apply(ctx, eng, d.agentDecisions(ctx, eng, id))
}

// agentDecisions brings the engine in line with an agent in the database
// and returns the decisions that follow from it.
func (d *Dispatcher) agentDecisions(ctx context.Context, eng *routing.Engine, id int64) []routing.Decision {
	now := d.now()
	a, err := d.store.Agent(ctx, id)
	switch {
	case errors.Is(err, domain.ErrNotFound) || err == nil && a.Disabled:
		return eng.RemoveAgent(id, now)
	case err != nil:
		d.log.Warn("routing: cannot read agent", "agent", id, "err", err)
		d.lost.Store(true)
		return nil
	}
	dec, err := eng.SetAgent(agentOf(a), now)
	if err != nil {
		d.log.Warn("routing: agent not updated", "agent", id, "err", err)
	}
	return dec
}

func (d *Dispatcher) syncTeam(ctx context.Context, eng *routing.Engine, id int64) {
	t, err := d.store.Team(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return
	} else if err != nil {
		d.log.Warn("routing: cannot read team", "team", id, "err", err)
		d.lost.Store(true)
		return
	}
	dec, err := eng.SetTeam(teamOf(t), d.now())
	if err != nil {
		d.log.Warn("routing: team not updated", "team", id, "err", err)
	}
	d.mu.Lock()
	teams := d.scope.teams
	d.mu.Unlock()
	if i, found := slices.BinarySearch(teams, id); !found {
		d.setScope(slices.Insert(slices.Clone(teams), i, id))
	}
	d.apply(ctx, eng, dec)
}

// setScope records the teams (nil: as before) and the channel kinds in use
// for the live view, which other goroutines make.
func (d *Dispatcher) setScope(teams []int64) {
	kinds := slices.Sorted(maps.Values(d.kinds))
	kinds = slices.Compact(kinds)
	d.mu.Lock()
	defer d.mu.Unlock()
	if teams != nil {
		d.scope.teams = teams
	}
	d.scope.kinds = kinds
}

// GetNext pulls the best waiting ticket that the agent has the skills and
// free capacity for, from any of its teams, and assigns it; nil when
// nothing fits. The leader decides, wherever it runs.
func (d *Dispatcher) GetNext(ctx context.Context, agentID int64) (*domain.Ticket, error) {
	req := rand.Int64N(1<<62) + 1
	ch := make(chan int64, 1)
	d.mu.Lock()
	d.waiters[req] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.waiters, req)
		d.mu.Unlock()
	}()
	d.events.Publish(domain.Event{Type: domain.EventRoutingNext, AssigneeID: agentID, Request: req})
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	select {
	case id := <-ch:
		if id == 0 {
			return nil, nil
		}
		return d.store.Ticket(ctx, id)
	case <-timeout.C:
		return nil, ErrUnavailable
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func teamOf(t *domain.Team) routing.Team {
	mode := routing.Mode(t.Mode)
	return routing.Team{ID: t.ID, Mode: mode, Capacity: capacityOf(t.Capacity), ReassignAfter: time.Duration(t.ReassignAfter) * time.Second}
}

func agentOf(a *domain.Agent) routing.Agent {
	p := routing.Presence(a.Presence)
	if p == "" {
		p = routing.PresenceOffline
	}
	return routing.Agent{ID: a.ID, TeamIDs: a.TeamIDs, Skills: a.Skills, Presence: p, Since: msTime(a.PresenceAt), Capacity: capacityOf(a.Capacity)}
}

func capacityOf(c *domain.Capacity) *routing.Capacity {
	if c == nil {
		return nil
	}
	return &routing.Capacity{Budget: c.Budget, Costs: c.Costs, Other: c.Other}
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
