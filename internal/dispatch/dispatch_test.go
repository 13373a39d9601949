package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/phonetest"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// cluster is one node: store, desk, hub and a running dispatcher.
type cluster struct {
	st     *store.Store
	desk   *desk.Desk
	router *dispatch.Dispatcher
	team   *domain.Team
	chat   *domain.Channel // kind chat: 3 units
	mail   *domain.Channel // kind email: 1 unit
	seq    int
}

func newCluster(t *testing.T, st *store.Store, team domain.Team) *cluster {
	t.Helper()
	c := prepareCluster(t, st, team)
	c.start(t)
	return c
}

// prepareCluster is newCluster without starting the dispatcher, so that a
// test can set up what the leader finds when it loads.
func prepareCluster(t *testing.T, st *store.Store, team domain.Team) *cluster {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{st: st, team: &team}
	if err := st.CreateTeam(ctx, c.team); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []**domain.Channel{&c.chat, &c.mail} {
		kind := "chat"
		if ch == &c.mail {
			kind = "email"
		}
		*ch = &domain.Channel{Kind: kind, Name: kind, TeamID: c.team.ID, Enabled: true}
		if err := st.CreateChannel(ctx, *ch, fmt.Sprintf("hash-%s-%d", kind, time.Now().UnixNano())); err != nil {
			t.Fatal(err)
		}
	}
	hub := realtime.NewHub(st, log)
	c.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New(), &phonetest.Phone{}), Events: hub, Region: "NL", Log: log,
		BotActive: func(ch *domain.Channel, _ int64) bool { return strings.Contains(ch.Name, "bot") }})
	c.router = dispatch.New(dispatch.Config{Store: st, Desk: c.desk, Events: hub, Log: log, Tick: 50 * time.Millisecond})
	hub.Listen(c.router)
	t.Cleanup(c.desk.Close)
	return c
}

// start runs the dispatcher until the test ends.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.router.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	eventually.True(t, "the dispatcher leads", func() bool { return c.router.Leading() })
}

func (c *cluster) agent(t *testing.T, name string, presence string, skills ...string) *domain.Agent {
	t.Helper()
	ctx := context.Background()
	a := &domain.Agent{Email: strings.ToLower(name) + "@loket.test", Name: name, Role: domain.RoleAgent, Routing: domain.Routing{Skills: skills}}
	if err := c.st.CreateAgent(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.st.UpdateAgent(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.st.SetAgentTeams(ctx, a.ID, []int64{c.team.ID}); err != nil {
		t.Fatal(err)
	}
	c.desk.AgentsChanged(ctx, a.ID)
	if _, err := c.desk.SetPresence(ctx, a, presence); err != nil {
		t.Fatal(err)
	}
	return a
}

func (c *cluster) receive(t *testing.T, ch *domain.Channel, text string) *domain.Ticket {
	t.Helper()
	c.seq++
	from, err := domain.NewIdentity(domain.IdentityEmail, fmt.Sprintf("customer%d@example.nl", c.seq), "NL")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.desk.Receive(context.Background(), &channel.Inbound{ChannelID: ch.ID, ExternalID: fmt.Sprint("m", c.seq), From: from, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return r.Ticket
}

func (c *cluster) assignee(t *testing.T, id int64) int64 {
	t.Helper()
	tk, err := c.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk.AssigneeID
}

// settle waits until the dispatcher has handled everything published so
// far: a get-next round trip (for no agent) passes through the same queue.
func (c *cluster) settle(t *testing.T) {
	t.Helper()
	if _, err := c.router.GetNext(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

func TestDispatch_PushesWithinCapacityAndRefillsWhenFreed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree})
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		ben := c.agent(t, "Ben", domain.PresenceOnline)
		var tickets []*domain.Ticket
		for i := range 7 {
			tickets = append(tickets, c.receive(t, c.chat, fmt.Sprint("chat ", i)))
		}
		c.settle(t)
		held := map[int64]int{}
		var waiting []int64
		for _, tk := range tickets {
			if a := c.assignee(t, tk.ID); a != 0 {
				held[a]++
			} else {
				waiting = append(waiting, tk.ID)
			}
		}
		// Budget 10, a chat costs 3: three chats each, the seventh waits.
		if held[anna.ID] != 3 || held[ben.ID] != 3 || len(waiting) != 1 {
			t.Fatalf("held %v, waiting %v", held, waiting)
		}
		v, err := c.router.View(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Queues) != 1 || v.Queues[0].Waiting != 1 || v.Queues[0].Kind != "chat" {
			t.Fatalf("queues %+v", v.Queues)
		}
		msgs, _ := st.Messages(ctx, tickets[0].ID, 0, 0)
		last := msgs[len(msgs)-1]
		if last.Kind != domain.KindEvent || last.AuthorType != domain.AuthorSystem || !strings.Contains(last.Text, "by routing: pushed on arrival") {
			t.Fatalf("decision not on the timeline: %+v", last)
		}

		// Solving one of Anna's chats frees 3 units: the waiting chat is pushed to her.
		var annas int64
		for _, tk := range tickets {
			if c.assignee(t, tk.ID) == anna.ID {
				annas = tk.ID
				break
			}
		}
		solved := domain.StatusSolved
		if _, err := c.desk.UpdateTicket(ctx, annas, anna.ID, desk.TicketChange{Status: &solved}); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, "the waiting chat goes to Anna", func() bool { return c.assignee(t, waiting[0]) == anna.ID })
	})
}

func TestDispatch_LiveWorkFirstAndSkills(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeManual})
		mail := c.receive(t, c.mail, "an e-mail")
		chat := c.receive(t, c.chat, "a chat")
		german := c.receive(t, c.chat, "ein Chat")
		de := []string{"de"}
		if _, err := c.desk.UpdateTicket(ctx, german.ID, 0, desk.TicketChange{Skills: &de}); err != nil {
			t.Fatal(err)
		}
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		// A manual team pushes nothing.
		c.settle(t)
		if a := c.assignee(t, mail.ID) + c.assignee(t, chat.ID); a != 0 {
			t.Fatal("a manual team pushed work")
		}
		order := []int64{}
		for {
			tk, err := c.router.GetNext(ctx, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tk == nil {
				break
			}
			if tk.AssigneeID != anna.ID {
				t.Fatalf("pulled ticket %d assigned to %d", tk.ID, tk.AssigneeID)
			}
			order = append(order, tk.ID)
		}
		// The chat comes before the older e-mail; the German chat needs a skill Anna lacks.
		if fmt.Sprint(order) != fmt.Sprint([]int64{chat.ID, mail.ID}) {
			t.Fatalf("pulled %v, want chat %d then mail %d", order, chat.ID, mail.ID)
		}
		bernd := c.agent(t, "Bernd", domain.PresenceOnline, "de")
		tk, err := c.router.GetNext(ctx, bernd.ID)
		if err != nil || tk == nil || tk.ID != german.ID {
			t.Fatalf("Bernd pulled %+v, %v; want the German chat", tk, err)
		}
	})
}

func TestDispatch_AwayAgentsWorkReturnsAfterGrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree, ReassignAfter: 1})
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		tk := c.receive(t, c.mail, "hello")
		eventually.True(t, "Anna gets the ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
		ben := c.agent(t, "Ben", domain.PresenceOnline)
		if _, err := c.desk.SetPresence(ctx, anna, domain.PresenceAway); err != nil {
			t.Fatal(err)
		}
		// After the one-second grace period the ticket goes back and on to Ben.
		eventually.True(t, "the ticket moves to Ben", func() bool { return c.assignee(t, tk.ID) == ben.ID })
		msgs, _ := st.Messages(ctx, tk.ID, 0, 0)
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Text)
		}
		all := strings.Join(texts, "\n")
		if !strings.Contains(all, "Returned to the queue") || !strings.Contains(all, "Assigned to Ben by routing") {
			t.Fatalf("timeline lacks the reasons:\n%s", all)
		}
	})
}

func TestDispatch_BotTicketsWaitForHandover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree})
		bot := &domain.Channel{Kind: "webchat", Name: "bot chat", TeamID: c.team.ID, Enabled: true}
		if err := st.CreateChannel(ctx, bot, "hash-bot"); err != nil {
			t.Fatal(err)
		}
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		tk := c.receive(t, bot, "how do I return shoes?")
		if tk.BotState != domain.BotActive {
			t.Fatalf("bot state %q", tk.BotState)
		}
		c.settle(t)
		if c.assignee(t, tk.ID) != 0 {
			t.Fatal("a ticket the bot holds was routed")
		}
		handed := domain.BotHandedOver
		if _, err := c.desk.UpdateTicket(ctx, tk.ID, 0, desk.TicketChange{BotState: &handed}); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, "the handed-over ticket reaches Anna", func() bool { return c.assignee(t, tk.ID) == anna.ID })
		wait, staffed := c.router.EstimatedWait(c.team.ID, "webchat")
		if !staffed || wait < 0 {
			t.Fatalf("estimate %v staffed %v", wait, staffed)
		}
	})
}

func TestDispatch_AgentComingOnlineGetsWaitingWork(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeRoundRobin})
		anna := c.agent(t, "Anna", domain.PresenceOffline)
		tk := c.receive(t, c.mail, "waiting before anyone is online")
		c.settle(t)
		if c.assignee(t, tk.ID) != 0 {
			t.Fatal("pushed to an offline agent")
		}
		if _, err := c.desk.SetPresence(context.Background(), anna, domain.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		eventually.True(t, "Anna gets the waiting ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
	})
}

func TestDispatch_AgentWhoseAppIsGoneIsSetAwayAndBackOnline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		anna := &domain.Agent{Email: "anna@loket.test", Name: "Anna", Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, anna, ""); err != nil {
			t.Fatal(err)
		}
		p := startPresence(t, st, anna, []int64{anna.ID})
		// While the app is connected the agent stays online, however long.
		for range 4 {
			at := p.clock.Advance(p.away / 2)
			eventually.True(t, "the heartbeat records the app", func() bool { return p.seenSince(t, at) })
			p.ticked(t)
			if got, _ := p.presence(t); got != domain.PresenceOnline {
				t.Fatalf("presence %s while connected", got)
			}
		}
		p.connected.Store([]int64{})
		// A heartbeat under way may still count the app once: the clock
		// moves on until the tick sees it gone.
		eventually.True(t, "Anna is set away", func() bool {
			p.clock.Advance(p.away + time.Millisecond)
			p.ticked(t)
			got, auto := p.presence(t)
			return got == domain.PresenceAway && auto
		})
		// The app reconnects: the stream counts it as seen, then sets the
		// agent online again.
		if err := st.TouchAgents(ctx, []int64{anna.ID}, p.clock.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		if err := p.desk.AutoPresence(ctx, anna.ID, domain.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		if got, auto := p.presence(t); got != domain.PresenceOnline || !auto {
			t.Fatalf("presence %s auto %v after reconnecting", got, auto)
		}
	})
}

// quietAgent stores an agent of c's team without telling the dispatcher,
// as if the event were still on its way.
func (c *cluster) quietAgent(t *testing.T, name, presence string, teams ...int64) *domain.Agent {
	t.Helper()
	ctx := context.Background()
	a := &domain.Agent{Email: strings.ToLower(name) + "@loket.test", Name: name, Role: domain.RoleAgent}
	if err := c.st.CreateAgent(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.st.SetAgentTeams(ctx, a.ID, teams); err != nil {
		t.Fatal(err)
	}
	if _, err := c.st.SetPresence(ctx, a.ID, presence, false, store.Now()); err != nil {
		t.Fatal(err)
	}
	return a
}

// quietly changes a ticket in the store without telling the dispatcher.
func (c *cluster) quietly(t *testing.T, id int64, change func(*domain.Ticket)) {
	t.Helper()
	tk, err := c.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	change(tk)
	if err := c.st.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
}

func (c *cluster) timeline(t *testing.T, id int64) string {
	t.Helper()
	msgs, err := c.st.Messages(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
	}
	return strings.Join(texts, "\n")
}

// The leader decides on the events it has heard; the database may already
// say otherwise. A decision that no longer fits is not applied, and the
// engine re-reads the ticket and the agent, instead of deciding the same
// again forever.
func TestDispatch_StaleDecisionsAreCorrectedFromTheDatabase(t *testing.T) {
	ctx := context.Background()
	// Each case changes the store behind the dispatcher's back, then has it
	// push a chat to Anna, and returns the chat.
	tests := []struct {
		name string
		run  func(t *testing.T, c *cluster) int64
	}{
		{"the agent was disabled", func(t *testing.T, c *cluster) int64 {
			anna := c.agent(t, "Anna", domain.PresenceOnline)
			c.settle(t)
			a, err := c.st.Agent(ctx, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			a.Disabled = true
			if err := c.st.UpdateAgent(ctx, a, ""); err != nil {
				t.Fatal(err)
			}
			return c.receive(t, c.chat, "new").ID
		}},
		{"the agent left the team", func(t *testing.T, c *cluster) int64 {
			anna := c.agent(t, "Anna", domain.PresenceOnline)
			c.settle(t)
			if err := c.st.SetAgentTeams(ctx, anna.ID, nil); err != nil {
				t.Fatal(err)
			}
			return c.receive(t, c.chat, "new").ID
		}},
		{"the ticket moved to another team", func(t *testing.T, c *cluster) int64 {
			anna := c.agent(t, "Anna", domain.PresenceOffline)
			tk := c.receive(t, c.chat, "waiting")
			c.settle(t)
			other := &domain.Team{Name: "Billing"}
			if err := c.st.CreateTeam(ctx, other); err != nil {
				t.Fatal(err)
			}
			c.quietly(t, tk.ID, func(tk *domain.Ticket) { tk.TeamID = other.ID })
			if _, err := c.desk.SetPresence(ctx, anna, domain.PresenceOnline); err != nil {
				t.Fatal(err)
			}
			return tk.ID
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree})
				id := tc.run(t, c)
				c.settle(t) // the leader is not stuck deciding the same again
				if a := c.assignee(t, id); a != 0 {
					t.Fatalf("ticket assigned to %d, want it left waiting", a)
				}
			})
		})
	}
}

func TestDispatch_ReturningWorkLeavesATicketReassignedMeanwhileAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree, ReassignAfter: 1})
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		tk := c.receive(t, c.mail, "hello")
		eventually.True(t, "Anna gets the ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
		if _, err := c.desk.SetPresence(ctx, anna, domain.PresenceAway); err != nil {
			t.Fatal(err)
		}
		// A supervisor gives it to Carl (of another team) before the grace
		// period ends; the leader has not heard of it when the period ends.
		carl := c.quietAgent(t, "Carl", domain.PresenceOnline)
		c.quietly(t, tk.ID, func(tk *domain.Ticket) { tk.AssigneeID = carl.ID })
		eventually.True(t, "the leader gives up Anna's ticket", func() bool {
			v, err := c.router.View(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(v.Agents) > 0 && v.Agents[0].AgentID == anna.ID && v.Agents[0].Items == 0
		})
		c.settle(t)
		if a := c.assignee(t, tk.ID); a != carl.ID {
			t.Fatalf("ticket assigned to %d, want Carl (%d)", a, carl.ID)
		}
		if tl := c.timeline(t, tk.ID); strings.Contains(tl, "Returned to the queue") {
			t.Fatalf("Carl's ticket was returned to the queue:\n%s", tl)
		}
	})
}

func TestDispatch_GetNextSkipsATicketTakenMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeManual})
		first := c.receive(t, c.mail, "first")
		second := c.receive(t, c.mail, "second")
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		ben := c.agent(t, "Ben", domain.PresenceOnline)
		c.settle(t)
		c.quietly(t, first.ID, func(tk *domain.Ticket) { tk.AssigneeID = ben.ID }) // Ben took it by hand
		tk, err := c.router.GetNext(ctx, anna.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tk == nil || tk.ID != second.ID || tk.AssigneeID != anna.ID {
			t.Fatalf("Anna pulled %+v, want the second ticket", tk)
		}
		if a := c.assignee(t, first.ID); a != ben.ID {
			t.Fatalf("first ticket assigned to %d, want Ben", a)
		}
	})
}

// A leader that starts (after a restart, or taking over) continues what
// the database says: the grace period of an agent away since long before
// has passed, and work a disabled agent still holds returns to the queue.
func TestDispatch_LoadKeepsGracePeriodsAndReturnsWorkOfDisabledAgents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := prepareCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree, ReassignAfter: 600})
		anna := c.quietAgent(t, "Anna", domain.PresenceOnline, c.team.ID)
		dora := c.quietAgent(t, "Dora", domain.PresenceOnline, c.team.ID)
		away := c.receive(t, c.mail, "Anna's")
		kept := c.receive(t, c.mail, "Dora's")
		c.quietly(t, away.ID, func(tk *domain.Ticket) { tk.AssigneeID = anna.ID })
		c.quietly(t, kept.ID, func(tk *domain.Ticket) { tk.AssigneeID = dora.ID })
		// Anna went away an hour ago; Dora was disabled while holding work.
		if _, err := st.SetPresence(ctx, anna.ID, domain.PresenceAway, false, store.Now()-3600_000); err != nil {
			t.Fatal(err)
		}
		d, err := st.Agent(ctx, dora.ID)
		if err != nil {
			t.Fatal(err)
		}
		d.Disabled = true
		if err := st.UpdateAgent(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
		ben := c.quietAgent(t, "Ben", domain.PresenceOnline, c.team.ID)
		c.start(t)
		eventually.True(t, "Anna's ticket goes to Ben", func() bool { return c.assignee(t, away.ID) == ben.ID })
		eventually.True(t, "Dora's ticket goes to Ben", func() bool { return c.assignee(t, kept.ID) == ben.ID })
		if tl := c.timeline(t, kept.ID); !strings.Contains(tl, "is disabled") {
			t.Fatalf("timeline lacks the reason:\n%s", tl)
		}
	})
}

// After a restart nobody was seen for a while; the agents' apps get
// AwayAfter to reconnect before anyone is set away.
func TestDispatch_AppsHaveTimeToReconnectAfterARestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		anna := &domain.Agent{Email: "anna@loket.test", Name: "Anna", Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, anna, ""); err != nil {
			t.Fatal(err)
		}
		p := startPresence(t, st, anna, []int64{})
		// Last seen before the restart, long ago.
		if err := st.TouchAgents(ctx, []int64{anna.ID}, p.start.Add(-time.Hour).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		// Ticks pass, almost AwayAfter, before the app reconnects.
		p.clock.Set(p.start.Add(away - time.Millisecond))
		p.ticked(t)
		if got, _ := p.presence(t); got != domain.PresenceOnline {
			t.Fatalf("presence %s before the app had AwayAfter to reconnect", got)
		}
		p.connected.Store([]int64{anna.ID})
		if err := st.TouchAgents(ctx, []int64{anna.ID}, p.clock.Now().UnixMilli()); err != nil { // as the stream does on connect
			t.Fatal(err)
		}
		p.clock.Set(p.start.Add(away + away/2))
		p.ticked(t)
		if got, _ := p.presence(t); got != domain.PresenceOnline {
			t.Fatalf("presence %s after the app reconnected in time", got)
		}
	})
}

// away is AwayAfter in the presence tests that need no heartbeat, on
// their own clock.
const away = 2 * time.Minute

// clock is a test clock that moves only when told, and by a microsecond
// on every reading so that successive ticks are told apart.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

// Set moves the clock to at.
func (c *clock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at
}

// Advance moves the clock on by d and returns the new time.
func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// presenceNode is a leading dispatcher on a test clock that sets away the
// agents whose app is not connected.
type presenceNode struct {
	st        *store.Store
	desk      *desk.Desk
	router    *dispatch.Dispatcher
	clock     *clock
	start     time.Time
	connected atomic.Value // []int64
	agent     *domain.Agent
	away      time.Duration
}

func startPresence(t *testing.T, st *store.Store, agent *domain.Agent, connected []int64) *presenceNode {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	blobs, _ := blob.NewDir(t.TempDir())
	hub := realtime.NewHub(st, log)
	p := &presenceNode{st: st, clock: &clock{now: time.Now()}, agent: agent}
	p.start = p.clock.Now()
	p.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Events: hub, Log: log,
		Now: func() int64 { return p.clock.Now().UnixMilli() }})
	t.Cleanup(p.desk.Close)
	if _, err := p.desk.SetPresence(ctx, agent, domain.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchAgents(ctx, connected, p.start.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	p.connected.Store(connected)
	// The heartbeat runs every AwayAfter/4 of real time; with a real
	// AwayAfter of minutes it would never beat in a test, so the tests that
	// need it set a short one on the test clock, which only they move.
	p.away = away
	if len(connected) > 0 {
		p.away = 40 * time.Millisecond
	}
	p.router = dispatch.New(dispatch.Config{Store: st, Desk: p.desk, Events: hub, Log: log, Tick: 5 * time.Millisecond, Now: p.clock.Now,
		AwayAfter: p.away, Connected: func() []int64 { return p.connected.Load().([]int64) }})
	hub.Listen(p.router)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.router.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually.True(t, "the dispatcher leads", p.router.Leading)
	return p
}

// ticked waits until the leader has run a whole tick that began after the
// clock reached its present time.
func (p *presenceNode) ticked(t *testing.T) {
	t.Helper()
	after := p.clock.Now()
	var first time.Time
	eventually.True(t, "a tick", func() bool { first = p.router.ViewMadeAt(); return first.After(after) })
	eventually.True(t, "a whole tick", func() bool { return p.router.ViewMadeAt().After(first) })
}

func (p *presenceNode) presence(t *testing.T) (string, bool) {
	t.Helper()
	a, err := p.st.Agent(context.Background(), p.agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a.Presence, a.PresenceAuto
}

// seenSince reports whether the agent's app was recorded as connected at
// or after at.
func (p *presenceNode) seenSince(t *testing.T, at time.Time) bool {
	t.Helper()
	unseen, err := p.st.UnseenOnline(context.Background(), at.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	return !slices.Contains(unseen, p.agent.ID)
}

func TestDispatch_MissedEventsMakeTheLeaderReload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree})
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		// A ticket whose event never reached the leader (the bus dropped it).
		contact := &domain.Contact{Name: "Jan"}
		if err := st.CreateContact(ctx, contact); err != nil {
			t.Fatal(err)
		}
		tk := &domain.Ticket{ContactID: contact.ID, Subject: "lost", Status: domain.StatusNew, Priority: domain.PriorityNormal,
			TeamID: c.team.ID, ChannelID: c.mail.ID}
		if err := st.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		c.settle(t)
		if c.assignee(t, tk.ID) != 0 {
			t.Fatal("the leader knew of a ticket it was never told about")
		}
		c.router.Lost()
		eventually.True(t, "the reloaded leader pushes the ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
	})
}

func TestDispatch_AnAgentOnACallGetsNoChatUntilTheCallEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := newCluster(t, st, domain.Team{Name: "Support", Mode: domain.ModeMostFree})
		anna := c.agent(t, "Anna", domain.PresenceOnline)
		anna.Phone = "201"
		if err := st.UpdateAgent(ctx, anna, ""); err != nil {
			t.Fatal(err)
		}
		phone := &domain.Channel{Kind: "phone", Name: "Switchboard", TeamID: c.team.ID, Enabled: true}
		if err := st.CreateChannel(ctx, phone, "hash-phone"); err != nil {
			t.Fatal(err)
		}
		call := func(state domain.CallState) {
			t.Helper()
			ev := channel.CallEvent{CallID: "c1", Direction: domain.DirectionIn, Customer: "+31612345678", State: state, Agents: []string{"201"}}
			if _, err := c.desk.Ingest(ctx, phone, "application/json", phonetest.Payload(ev)); err != nil {
				t.Fatal(err)
			}
		}
		call(domain.CallRinging)
		call(domain.CallAnswered)
		c.settle(t)
		chat := c.receive(t, c.chat, "is anyone there?")
		c.settle(t)
		if c.assignee(t, chat.ID) != 0 {
			t.Fatal("a chat was pushed to an agent on a call")
		}
		call(domain.CallEnded) // no wrap-up time: free at once
		eventually.True(t, "Anna gets the chat once the call ends", func() bool { return c.assignee(t, chat.ID) == anna.ID })
	})
}
