package routing

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock hands out instants of a test's own timeline, starting on a
// Monday morning, so that nothing depends on the real time.
type fakeClock struct{ now time.Time }

func newClock() *fakeClock { return &fakeClock{now: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

// setup returns an engine with team 1 in the given mode and the agents,
// online unless given otherwise.
func setup(t *testing.T, clk *fakeClock, team Team, agents ...Agent) *Engine {
	t.Helper()
	return setupWith(t, clk, Config{}, team, agents...)
}

// setupStrict is setup for an engine where every item counts against the
// whole budget (Config.Strict).
func setupStrict(t *testing.T, clk *fakeClock, team Team, agents ...Agent) *Engine {
	t.Helper()
	return setupWith(t, clk, Config{Strict: true}, team, agents...)
}

func setupWith(t *testing.T, clk *fakeClock, cfg Config, team Team, agents ...Agent) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetTeam(team, clk.now); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.TeamIDs == nil {
			a.TeamIDs = []int64{team.ID}
		}
		if a.Presence == "" {
			a.Presence = PresenceOnline
		}
		if _, err := e.SetAgent(a, clk.now); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// pairs renders decisions as "ticket>agent" for comparison.
func pairs(ds []Decision) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d>%d", d.TicketID, d.AgentID))
	}
	return out
}

func want(t *testing.T, what string, got []Decision, exp ...string) {
	t.Helper()
	if exp == nil {
		exp = []string{}
	}
	if p := pairs(got); !slices.Equal(p, exp) {
		t.Errorf("%s: decisions %v, want %v", what, p, exp)
	}
	for _, d := range got {
		if d.Reason == "" {
			t.Errorf("%s: decision %+v has no reason", what, d)
		}
	}
}

func item(id int64, kind string) Item { return Item{TicketID: id, TeamID: 1, Kind: kind, Priority: 1} }

func TestCapacity_CostsAgainstTheBudgetDecideWhatFits(t *testing.T) {
	tests := []struct {
		name   string
		strict bool
		kinds  []string
		held   []string // tickets assigned, as "ticket>agent"
		load   int
	}{
		{"one call blocks everything else", false, []string{"call", "chat", "email"}, []string{"1>7"}, 10},
		{"a call interrupts e-mail work", false, []string{"email", "email", "call"}, []string{"1>7", "2>7", "3>7"}, 12},
		{"no e-mail while over budget after a call", false, []string{"email", "call", "email", "chat"}, []string{"1>7", "2>7"}, 11},
		{"strict: a call waits while an e-mail is held", true, []string{"email", "call"}, []string{"1>7"}, 1},
		{"three chats fit, a fourth does not", false, []string{"chat", "chat", "chat", "chat"}, []string{"1>7", "2>7", "3>7"}, 9},
		{"one e-mail fits beside three chats", false, []string{"chat", "chat", "chat", "email"}, []string{"1>7", "2>7", "3>7", "4>7"}, 10},
		{"strict: one e-mail fits beside three chats", true, []string{"chat", "chat", "chat", "email", "email"}, []string{"1>7", "2>7", "3>7", "4>7"}, 10},
		{"ten e-mails fill the budget", false, []string{"email", "email", "email", "email", "email", "email", "email", "email", "email", "email", "email"},
			[]string{"1>7", "2>7", "3>7", "4>7", "5>7", "6>7", "7>7", "8>7", "9>7", "10>7"}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			e := setupWith(t, clk, Config{Strict: tc.strict}, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7})
			var got []Decision
			for i, k := range tc.kinds {
				got = append(got, e.Enqueue(item(int64(i+1), k), clk.advance(time.Second))...)
			}
			want(t, "assignments", got, tc.held...)
			if a := e.Snapshot(clk.now).Agents[0]; a.Load != tc.load {
				t.Errorf("load %d, want %d", a.Load, tc.load)
			}
		})
	}
}

func TestOrdering_LiveItemsAreServedBeforeEmail(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7, Presence: PresenceAway})
	e.Enqueue(item(1, KindEmail), clk.advance(time.Second))
	e.Enqueue(item(2, KindEmail), clk.advance(time.Second))
	e.Enqueue(item(3, KindCall), clk.advance(time.Second))
	e.Enqueue(item(4, KindChat), clk.advance(time.Second))
	ds, _ := e.SetPresence(7, PresenceOnline, clk.advance(time.Second))
	want(t, "coming online", ds, "3>7")
	want(t, "call done", e.Release(7, 3, clk.advance(time.Minute)), "4>7", "1>7", "2>7")
}

func TestOrdering_PriorityThenDueTimeThenAge(t *testing.T) {
	clk := newClock()
	one := &Capacity{Budget: 1, Other: 1}
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7, Capacity: one, Presence: PresenceOffline})
	base := clk.now
	due := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	items := []Item{
		{TicketID: 1, Priority: 1},                    // normal, no due, oldest
		{TicketID: 2, Priority: 1, DueAt: due(90)},    // normal, due later
		{TicketID: 3, Priority: 1, DueAt: due(30)},    // normal, due soonest
		{TicketID: 4, Priority: 3},                    // urgent
		{TicketID: 5, Priority: 0, DueAt: due(1)},     // low, however due
		{TicketID: 6, Priority: 1},                    // normal, no due, newer than 1
		{TicketID: 7, Priority: 2, DueAt: due(600)},   // high
		{TicketID: 8, Priority: 9, Kind: KindEmail},   // clamped to urgent, newer than 4
		{TicketID: 9, Priority: -1, Kind: KindEmail},  // clamped to low, no due
		{TicketID: 10, Priority: 1, DueAt: due(30)},   // same due as 3, newer
		{TicketID: 11, Priority: 2, DueAt: due(-100)}, // high, overdue
	}
	for _, it := range items {
		it.TeamID, it.Kind = 1, KindEmail
		it.EnqueuedAt = clk.advance(time.Second)
		e.Enqueue(it, clk.now)
	}
	var order []string
	ds, _ := e.SetPresence(7, PresenceOnline, clk.advance(time.Second))
	for len(ds) == 1 {
		order = append(order, fmt.Sprint(ds[0].TicketID))
		ds = e.Release(7, ds[0].TicketID, clk.advance(time.Minute))
	}
	if got, exp := strings.Join(order, " "), "4 8 11 7 3 10 2 1 6 5 9"; got != exp {
		t.Errorf("served %s, want %s", got, exp)
	}
}

func TestSkills_AnItemGoesOnlyToAgentsWithAllItsSkills(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree},
		Agent{ID: 7, Skills: []string{"nl"}},
		Agent{ID: 8, Skills: []string{"de", "billing", "nl"}})
	german := Item{TicketID: 1, TeamID: 1, Kind: KindEmail, Skills: []string{"billing", "de"}}
	want(t, "german billing", e.Enqueue(german, clk.advance(time.Second)), "1>8")
	french := Item{TicketID: 2, TeamID: 1, Kind: KindEmail, Skills: []string{"fr"}}
	want(t, "french nobody speaks", e.Enqueue(french, clk.advance(time.Second)))
	want(t, "get next without french", e.GetNext(7, clk.advance(time.Second)))
	ds, err := e.SetAgent(Agent{ID: 7, TeamIDs: []int64{1}, Skills: []string{"nl", "fr"}, Presence: PresenceOnline}, clk.advance(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want(t, "after agent 7 learned french", ds, "2>7")
}

func TestPresence_AwayAndOfflineAgentsGetNothingPushed(t *testing.T) {
	for _, p := range []Presence{PresenceAway, PresenceOffline} {
		t.Run(string(p), func(t *testing.T) {
			clk := newClock()
			e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7, Presence: p})
			want(t, "arrival", e.Enqueue(item(1, KindChat), clk.advance(time.Second)))
			want(t, "get next", e.GetNext(7, clk.advance(time.Second)))
			ds, err := e.SetPresence(7, PresenceOnline, clk.advance(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			want(t, "online", ds, "1>7")
		})
	}
}

func TestPresence_HeldItemsReturnAfterTheGracePeriodOnTick(t *testing.T) {
	tests := []struct {
		name   string
		grace  time.Duration
		after  time.Duration
		expect []string
	}{
		{"within the grace period the agent keeps its items", 5 * time.Minute, 4*time.Minute + 59*time.Second, nil},
		{"past the grace period the items go to another agent", 5 * time.Minute, 5 * time.Minute, []string{"1>0", "1>8", "2>0", "2>8"}},
		{"a team without a grace period never takes items back", 0, 24 * time.Hour, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree, ReassignAfter: tc.grace}, Agent{ID: 7}, Agent{ID: 8, Presence: PresenceOffline})
			want(t, "first", e.Enqueue(item(1, KindChat), clk.advance(time.Second)), "1>7")
			want(t, "second", e.Enqueue(item(2, KindEmail), clk.advance(time.Second)), "2>7")
			if _, err := e.SetPresence(7, PresenceAway, clk.advance(time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.SetPresence(7, PresenceOffline, clk.advance(time.Minute)); err != nil { // the grace period counts from leaving online
				t.Fatal(err)
			}
			if _, err := e.SetPresence(8, PresenceOnline, clk.now); err != nil {
				t.Fatal(err)
			}
			ds := e.Tick(clk.now.Add(tc.after - time.Minute))
			want(t, "tick", ds, tc.expect...)
			if len(ds) > 0 && !strings.Contains(ds[0].Reason, "grace period") {
				t.Errorf("reason %q does not name the grace period", ds[0].Reason)
			}
		})
	}
}

func TestRoundRobin_RotatesOverAgentsWhoFit(t *testing.T) {
	clk := newClock()
	e := setupStrict(t, clk, Team{ID: 1, Mode: ModeRoundRobin}, Agent{ID: 7}, Agent{ID: 8}, Agent{ID: 9})
	var got []Decision
	for i := range 4 {
		got = append(got, e.Enqueue(item(int64(i+1), KindEmail), clk.advance(time.Second))...)
	}
	want(t, "e-mails", got, "1>7", "2>8", "3>9", "4>7")
	want(t, "9 idle, nothing waiting", e.Release(9, 3, clk.advance(time.Minute)))
	// Agent 8 cannot take a call beside its e-mail: the rotation skips it.
	want(t, "call", e.Enqueue(item(5, KindCall), clk.advance(time.Second)), "5>9")
	want(t, "call", e.Enqueue(item(6, KindCall), clk.advance(time.Second)))
}

func TestMostFree_PrefersMostFreeUnitsThenLeastRecentlyAssigned(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7}, Agent{ID: 8})
	want(t, "chat", e.Enqueue(item(1, KindChat), clk.advance(time.Second)), "1>7")
	want(t, "e-mails", slices.Concat(
		e.Enqueue(item(2, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(3, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(4, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(5, KindEmail), clk.advance(time.Second)),
	), "2>8", "3>8", "4>8", "5>7") // 7 has 7 free, 8 has 10, 9, 8, then both 7: 7 was assigned less recently
}

func TestReservation_ACallIsNotStarvedByAStreamOfEmails(t *testing.T) {
	clk := newClock()
	e := setupStrict(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7}, Agent{ID: 8})
	want(t, "e-mails", slices.Concat(
		e.Enqueue(item(1, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(2, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(3, KindCall), clk.advance(time.Second)),
	), "1>7", "2>8")
	// The call waits for an idle agent; the next e-mail is offered to 7,
	// which makes room for the call instead of taking it.
	want(t, "e-mail while a call waits", e.Enqueue(item(4, KindEmail), clk.advance(time.Second)), "4>8")
	if s := e.Snapshot(clk.now); !s.Agents[0].Reserving || s.Agents[1].Reserving {
		t.Fatalf("agents %+v: want 7 reserving for the call", s.Agents)
	}
	want(t, "7 idle", e.Release(7, 1, clk.advance(time.Minute)), "3>7")
}

func TestReservation_ACallWaitsForChatsToEnd(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7})
	want(t, "work", slices.Concat(
		e.Enqueue(item(1, KindChat), clk.advance(time.Second)),
		e.Enqueue(item(2, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(3, KindCall), clk.advance(time.Second)),
	), "1>7", "2>7")
	// A chat is live work the call cannot interrupt: 7 makes room and
	// takes no more e-mail meanwhile.
	want(t, "e-mail while the call waits", e.Enqueue(item(4, KindEmail), clk.advance(time.Second)))
	if s := e.Snapshot(clk.now); !s.Agents[0].Reserving {
		t.Fatalf("agents %+v: want 7 reserving for the call", s.Agents)
	}
	want(t, "chat ends", e.Release(7, 1, clk.advance(time.Minute)), "3>7")
}

func TestReservation_AnAgentWithRoomNowTakesAReservedItem(t *testing.T) {
	clk := newClock()
	e := setupStrict(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7}, Agent{ID: 8})
	e.Enqueue(item(1, KindEmail), clk.advance(time.Second))
	e.Enqueue(item(2, KindChat), clk.advance(time.Second))
	e.Enqueue(item(3, KindEmail), clk.advance(time.Second))
	e.Enqueue(item(4, KindCall), clk.advance(time.Second)) // 7 holds 1 and 3, 8 holds 2: nobody is idle
	want(t, "e-mail while 7 makes room", e.Enqueue(item(5, KindEmail), clk.advance(time.Second)), "5>8")
	// 8 becomes idle first: it takes the call at once, and 7 no longer
	// makes room for it.
	want(t, "8 finishes", slices.Concat(
		e.Release(8, 2, clk.advance(time.Second)),
		e.Release(8, 5, clk.advance(time.Second)),
	), "4>8")
	if s := e.Snapshot(clk.now); s.Agents[0].Reserving {
		t.Errorf("agent 7 still reserving after the call went to 8: %+v", s.Agents)
	}
}

func TestGetNext_PullsTheBestItemThatFits(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeManual}, Agent{ID: 7})
	want(t, "manual arrivals", slices.Concat(
		e.Enqueue(item(1, KindEmail), clk.advance(time.Second)),
		e.Enqueue(item(2, KindCall), clk.advance(time.Second)),
		e.Enqueue(item(3, KindChat), clk.advance(time.Second)),
	))
	want(t, "first pull", e.GetNext(7, clk.advance(time.Second)), "2>7")
	want(t, "on a call", e.GetNext(7, clk.advance(time.Second)))
	e.Release(7, 2, clk.advance(time.Minute))
	want(t, "after the call", e.GetNext(7, clk.advance(time.Second)), "3>7")
	want(t, "beside a chat", e.GetNext(7, clk.advance(time.Second)), "1>7")
	want(t, "queue empty", e.GetNext(7, clk.advance(time.Second)))
	want(t, "unknown agent", e.GetNext(99, clk.now))
}

func TestEstimatedWait_FollowsQueueAgentsAndHandlingTime(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7, Presence: PresenceOffline}, Agent{ID: 8, Presence: PresenceOffline})
	if _, ok := e.EstimatedWait(1, KindCall); ok {
		t.Error("estimate with nobody online, want ok false")
	}
	if _, ok := e.EstimatedWait(2, KindCall); ok {
		t.Error("estimate for an unknown team, want ok false")
	}
	e.SetPresence(7, PresenceOnline, clk.now)
	e.SetPresence(8, PresenceOnline, clk.now)
	if w, ok := e.EstimatedWait(1, KindCall); !ok || w != 0 {
		t.Errorf("idle agents: %v %v, want 0 true", w, ok)
	}
	e.Enqueue(item(1, KindCall), clk.advance(time.Second))
	e.Enqueue(item(2, KindCall), clk.advance(time.Second))
	e.Enqueue(item(3, KindCall), clk.advance(time.Second))
	// Both on a call, one waiting: the new call is second in line for
	// two agents of 12 minutes each: (10·12 + 10·12) / 20 = 12 min.
	if w, ok := e.EstimatedWait(1, KindCall); !ok || w != 12*time.Minute {
		t.Errorf("busy: %v %v, want 12m true", w, ok)
	}
	// An e-mail waits behind the call too: (10·12 + 1·8.5) / 20.
	if w, _ := e.EstimatedWait(1, KindEmail); w != (120*time.Minute+8*time.Minute+30*time.Second)/20 {
		t.Errorf("e-mail: %v", w)
	}
	// Calls measured at 6 minutes pull the estimate down.
	for i := range 20 {
		id := int64(100 + i)
		e.Assign(7, Item{TicketID: id, TeamID: 1, Kind: KindCall}, clk.now)
		e.Release(7, id, clk.advance(6*time.Minute))
	}
	if w, _ := e.EstimatedWait(1, KindCall); w >= 9*time.Minute || w <= 6*time.Minute {
		t.Errorf("after short calls: %v, want between 6 and 9 min", w)
	}
}

func TestSnapshot_CountsWaitingItemsAndAgentLoad(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7}, Agent{ID: 8, Presence: PresenceAway})
	start := clk.now
	e.Enqueue(item(1, KindCall), clk.advance(time.Second))
	e.Enqueue(item(2, KindCall), clk.advance(time.Second))
	e.Enqueue(Item{TicketID: 3, TeamID: 1, Kind: KindEmail, Priority: 3}, clk.advance(time.Second))
	e.Enqueue(Item{TicketID: 4, TeamID: 1, Kind: KindEmail, Skills: []string{"de"}}, clk.advance(time.Second))
	e.Enqueue(Item{TicketID: 5, TeamID: 2, Kind: KindEmail}, clk.advance(time.Second))
	s := e.Snapshot(start.Add(time.Minute))
	wantQ := []QueueStat{
		{TeamID: 1, Kind: KindCall, Waiting: 1, LongestWait: 58 * time.Second},
		{TeamID: 1, Kind: KindEmail, Waiting: 2, LongestWait: 57 * time.Second},
		{TeamID: 2, Kind: KindEmail, Waiting: 1, LongestWait: 55 * time.Second},
	}
	if !slices.Equal(s.Queues, wantQ) {
		t.Errorf("queues %+v, want %+v", s.Queues, wantQ)
	}
	wantA := []AgentStat{
		{AgentID: 7, Presence: PresenceOnline, Since: start, Load: 10, Budget: 10, Items: 1},
		{AgentID: 8, Presence: PresenceAway, Since: start, Load: 0, Budget: 10},
	}
	if !slices.Equal(s.Agents, wantA) {
		t.Errorf("agents %+v, want %+v", s.Agents, wantA)
	}
}

func TestInput_BadSettingsAreRejected(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := newClock().now
	if _, err := e.SetTeam(Team{ID: 1, Mode: "fastest"}, now); err != ErrBadMode {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := e.SetTeam(Team{ID: 1, Capacity: &Capacity{Budget: 10, Costs: map[string]int{KindEmail: 0}, Other: 1}}, now); err == nil {
		t.Error("free e-mail accepted")
	}
	if _, err := e.SetAgent(Agent{ID: 1, Presence: "busy"}, now); err != ErrBadPresence {
		t.Errorf("bad presence: %v", err)
	}
	if _, err := e.SetPresence(1, PresenceOnline, now); err != ErrUnknownAgent {
		t.Errorf("unknown agent: %v", err)
	}
	if _, err := New(Config{Capacity: Capacity{Budget: 0, Other: 1}}); err == nil {
		t.Error("zero budget accepted")
	}
}

func TestPresence_GracePeriodCountsFromWhenTheAgentLeftBeforeALoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		since time.Duration // before the load
		want  []string
	}{
		{"left long before the load", 10 * time.Minute, []string{"7>0"}},
		{"left just before the load", 10 * time.Second, []string{}},
		{"no time known", 0, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			var since time.Time
			if tc.since > 0 {
				since = clk.now.Add(-tc.since)
			}
			e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree, ReassignAfter: time.Minute},
				Agent{ID: 1, Presence: PresenceAway, Since: since})
			if _, err := e.Assign(1, item(7, KindEmail), clk.now); err != nil {
				t.Fatal(err)
			}
			got := e.Tick(clk.advance(time.Second))
			want(t, "tick after the load", got, tc.want...)
			for _, d := range got {
				if d.From != 1 || d.TeamID != 1 {
					t.Errorf("returned decision %+v does not name the agent and team it came from", d)
				}
			}
		})
	}
}

func TestDecision_NamesTheQueueAndHolderItWasMadeFor(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 1})
	got := e.Enqueue(item(7, KindEmail), clk.now)
	if len(got) != 1 || got[0] != (Decision{TicketID: 7, AgentID: 1, TeamID: 1, Reason: got[0].Reason}) {
		t.Fatalf("push decision %+v", got)
	}
	// Re-describing a held item (it moved to team 2) keeps measuring the
	// handling time from the original assignment.
	clk.advance(10 * time.Minute)
	moved := item(7, KindEmail)
	moved.TeamID = 2
	if _, err := e.Assign(1, moved, clk.now); err != nil {
		t.Fatal(err)
	}
	e.Release(1, 7, clk.advance(time.Minute))
	if _, err := e.SetAgent(Agent{ID: 1, TeamIDs: []int64{1, 2}, Presence: PresenceOnline}, clk.now); err != nil {
		t.Fatal(err)
	}
	e.Enqueue(Item{TicketID: 8, TeamID: 2, Kind: KindEmail, Priority: 1}, clk.now)
	wait, _ := e.EstimatedWait(2, KindEmail)
	// EWMA from the 8.5-minute prior towards the 11 minutes handled: 8m45s,
	// plus a waiting item ahead: (2 × 8m45s) / 10 units.
	if wait != 105*time.Second {
		t.Fatalf("estimated wait %v, want 1m45s (handling time measured from the first assignment)", wait)
	}
}

func TestBusy_AnAgentOnACallGetsNothingPushedUntilItsWrapUpEnds(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7}, Agent{ID: 8})
	onCall := func(agent int64, until time.Time) []Decision {
		t.Helper()
		ds, err := e.SetBusy(agent, until, clk.now)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	want(t, "7 answers a call", onCall(7, clk.now.Add(4*time.Hour)))
	want(t, "a chat goes to the free agent", e.Enqueue(item(1, KindChat), clk.advance(time.Second)), "1>8")
	want(t, "8 answers a call too", onCall(8, clk.now.Add(4*time.Hour)))
	want(t, "nobody free", e.Enqueue(item(2, KindChat), clk.advance(time.Second)))
	want(t, "7 hangs up: a minute of wrap-up", onCall(7, clk.advance(time.Minute).Add(time.Minute)))
	want(t, "still wrapping up", e.Tick(clk.advance(30*time.Second)))
	want(t, "wrap-up over", e.Tick(clk.advance(30*time.Second)), "2>7")
	want(t, "e-mail goes to the agent off the phone", e.Enqueue(item(3, KindEmail), clk.advance(time.Second)), "3>7")
	want(t, "a call that ends without wrap-up frees at once", onCall(8, clk.now))
	if _, err := e.SetBusy(99, clk.now, clk.now); err == nil {
		t.Error("an unknown agent was marked busy")
	}
}

func TestBusy_AnAgentMakingRoomHandsTheItemOnWhenACallComes(t *testing.T) {
	clk := newClock()
	e := setup(t, clk, Team{ID: 1, Mode: ModeMostFree}, Agent{ID: 7})
	want(t, "work", slices.Concat(
		e.Enqueue(item(1, KindChat), clk.advance(time.Second)),
		e.Enqueue(item(2, KindCall), clk.advance(time.Second)),
	), "1>7")
	if s := e.Snapshot(clk.now); !s.Agents[0].Reserving {
		t.Fatalf("agents %+v: want 7 reserving for the callback", s.Agents)
	}
	if _, err := e.SetBusy(7, clk.now.Add(time.Hour), clk.advance(time.Second)); err != nil {
		t.Fatal(err)
	}
	if s := e.Snapshot(clk.now); s.Agents[0].Reserving {
		t.Fatalf("agents %+v: an agent on a call still makes room", s.Agents)
	}
	want(t, "chat ends during the call", e.Release(7, 1, clk.advance(time.Minute)))
	want(t, "call and wrap-up over", e.Tick(clk.advance(time.Hour)), "2>7")
}
