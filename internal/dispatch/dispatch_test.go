package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
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
	c.desk = desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Events: hub, Region: "NL", Log: log,
		BotActive: func(ch *domain.Channel, _ int64) bool { return strings.Contains(ch.Name, "bot") }})
	c.router = dispatch.New(dispatch.Config{Store: st, Desk: c.desk, Events: hub, Log: log, Tick: 50 * time.Millisecond})
	hub.Listen(c.router)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.router.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		c.desk.Close()
	})
	eventually(t, "the dispatcher leads", func() bool { return c.router.Leading() })
	return c
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

// eventually waits for cond, which the dispatcher makes true asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
		eventually(t, "the waiting chat goes to Anna", func() bool { return c.assignee(t, waiting[0]) == anna.ID })
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
		eventually(t, "Anna gets the ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
		ben := c.agent(t, "Ben", domain.PresenceOnline)
		if _, err := c.desk.SetPresence(ctx, anna, domain.PresenceAway); err != nil {
			t.Fatal(err)
		}
		// After the one-second grace period the ticket goes back and on to Ben.
		eventually(t, "the ticket moves to Ben", func() bool { return c.assignee(t, tk.ID) == ben.ID })
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
		eventually(t, "the handed-over ticket reaches Anna", func() bool { return c.assignee(t, tk.ID) == anna.ID })
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
		eventually(t, "Anna gets the waiting ticket", func() bool { return c.assignee(t, tk.ID) == anna.ID })
	})
}

func TestDispatch_AgentWhoseAppIsGoneIsSetAwayAndBackOnline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		blobs, _ := blob.NewDir(t.TempDir())
		team := &domain.Team{Name: "Support", Mode: domain.ModeMostFree}
		if err := st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		hub := realtime.NewHub(st, log)
		d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Events: hub, Log: log})
		t.Cleanup(d.Close)
		var connected atomic.Value
		connected.Store([]int64{})
		router := dispatch.New(dispatch.Config{Store: st, Desk: d, Events: hub, Log: log, Tick: 20 * time.Millisecond,
			AwayAfter: 200 * time.Millisecond, Connected: func() []int64 { return connected.Load().([]int64) }})
		hub.Listen(router)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { router.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })

		anna := &domain.Agent{Email: "anna@loket.test", Name: "Anna", Role: domain.RoleAgent}
		if err := st.CreateAgent(ctx, anna, ""); err != nil {
			t.Fatal(err)
		}
		connected.Store([]int64{anna.ID})
		if _, err := d.SetPresence(ctx, anna, domain.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		presence := func() (string, bool) {
			a, err := st.Agent(ctx, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a.Presence, a.PresenceAuto
		}
		// While the app is connected the agent stays online.
		time.Sleep(400 * time.Millisecond)
		if p, _ := presence(); p != domain.PresenceOnline {
			t.Fatalf("presence %s while connected", p)
		}
		connected.Store([]int64{})
		eventually(t, "Anna is set away", func() bool { p, auto := presence(); return p == domain.PresenceAway && auto })
		if err := d.AutoPresence(ctx, anna.ID, domain.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		if p, auto := presence(); p != domain.PresenceOnline || !auto {
			t.Fatalf("presence %s auto %v after reconnecting", p, auto)
		}
	})
}
