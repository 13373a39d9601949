package hours_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// clock is a time that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// officePolicy makes the business hours of every channel those of a new
// calendar open on days (such as "mon"), and returns that calendar's id.
func officePolicy(t *testing.T, st *store.Store, name string, days ...string) int64 {
	t.Helper()
	ctx := context.Background()
	hrs := map[string][]sla.Range{}
	for _, d := range days {
		hrs[d] = []sla.Range{{Start: "09:00", End: "17:00"}}
	}
	cal := &store.Calendar{Name: name, Config: sla.CalendarConfig{TimeZone: "UTC", Hours: hrs}}
	if err := st.SaveCalendar(ctx, cal); err != nil {
		t.Fatal(err)
	}
	policies, err := st.Policies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := &sla.Policy{Name: "Office", Enabled: true, CalendarID: cal.ID,
		Targets: map[string]sla.Targets{"normal": {FirstResponse: 60}}}
	for _, old := range policies {
		if old.Name == "Office" {
			p.ID = old.ID
		}
	}
	if err := st.SavePolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	return cal.ID
}

func openNow(t *testing.T, s *hours.Service, ch *domain.Channel) bool {
	t.Helper()
	cal, err := s.ForChannel(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	return cal == nil || cal.IsOpen(monday10)
}

func newChannel(t *testing.T, st *store.Store) *domain.Channel {
	t.Helper()
	ch := &domain.Channel{Kind: "webchat", Name: "Shop chat", Settings: []byte(`{}`)}
	if err := st.CreateChannel(context.Background(), ch, ""); err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestService_ChangedMakesANewCalendarVisibleAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: monday10}
		s := hours.New(hours.Config{Store: st, Now: clk.now})
		ch := newChannel(t, st)
		if !openNow(t, s, ch) {
			t.Fatal("closed without any calendar")
		}
		officePolicy(t, st, "Weekend", "sat", "sun")
		if !openNow(t, s, ch) {
			t.Fatal("a calendar saved without Changed was visible before the cache expired")
		}
		s.Changed()
		if openNow(t, s, ch) {
			t.Error("open on Monday after Changed, want the new weekend calendar to apply")
		}
	})
}

func TestService_CachedRulesAreReloadedAfterTheirTTL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: monday10}
		s := hours.New(hours.Config{Store: st, Now: clk.now, TTL: time.Minute})
		ch := newChannel(t, st)
		openNow(t, s, ch)
		officePolicy(t, st, "Weekend", "sat", "sun")
		clk.advance(time.Minute - time.Millisecond)
		if !openNow(t, s, ch) {
			t.Fatal("reloaded before the TTL ran out")
		}
		clk.advance(time.Millisecond)
		if openNow(t, s, ch) {
			t.Error("still the old rules after the TTL ran out")
		}
	})
}

func TestService_RulesKnowChannelsAndCalendarsByID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ch := newChannel(t, st)
		calID := officePolicy(t, st, "Office", "mon")
		r, err := hours.New(hours.Config{Store: st}).Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Channels[ch.ID]; got.Kind != "webchat" {
			t.Errorf("channel %d = %+v, want kind webchat", ch.ID, got)
		}
		if r.Calendar(calID) == nil || r.Calendar(calID+1) != nil {
			t.Errorf("Calendar(%d) and Calendar(%d): want the office calendar and nil", calID, calID+1)
		}
		p, cal := r.Choose(sla.Facts{ChannelKind: "webchat", ChannelID: ch.ID, Priority: "normal"})
		if p.Name != "Office" || !cal.IsOpen(monday10) || cal.IsOpen(monday10.Add(8*time.Hour)) {
			t.Errorf("Choose = %q with a calendar open at 10:00 %v and 18:00 %v, want Office open 09-17",
				p.Name, cal.IsOpen(monday10), cal.IsOpen(monday10.Add(8*time.Hour)))
		}
	})
}

// signal tells when an sla.changed event has reached a hub.
type signal chan struct{}

func (s signal) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == domain.EventSLAChanged {
			select {
			case s <- struct{}{}:
			default:
			}
		}
	}
}

// nodes returns a Service that announces changes, and another that hears
// them as a second node would (over PostgreSQL's bus; on SQLite, which
// runs one node, through the same hub), with a signal that fires after the
// second one heard of a change.
func nodes(t *testing.T, st *store.Store, clk *clock) (a, b *hours.Service, heard signal) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hubA := realtime.NewHub(st, log)
	hubB := hubA
	var events domain.Publisher = hubA
	if st.Dialect() == store.Postgres {
		hubB = realtime.NewHub(st, log)
		busA, busB := realtime.NewPGBus(hubA, st, st.URL(), log), realtime.NewPGBus(hubB, st, st.URL(), log)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { busA.Run(ctx) })
		wg.Go(func() { busB.Run(ctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
		events = busA
	}
	a = hours.New(hours.Config{Store: st, Events: events, Now: clk.now})
	b = hours.New(hours.Config{Store: st, Now: clk.now})
	hubA.Listen(a)
	hubB.Listen(b)
	heard = make(signal, 1)
	hubB.Listen(heard) // after b, so b has dropped its cache when this fires
	return a, b, heard
}

func TestService_ChangeOnOneNodeReachesTheOtherNodesCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: monday10}
		a, b, heard := nodes(t, st, clk)
		ch := newChannel(t, st)
		openNow(t, a, ch)
		if !openNow(t, b, ch) {
			t.Fatal("closed without any calendar")
		}
		officePolicy(t, st, "Weekend", "sat", "sun")
		// The other node starts listening in the background; announce
		// until it hears (the test's deadline bounds the wait).
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for heardIt := false; !heardIt; {
			a.Changed()
			select {
			case <-heard:
				heardIt = true
			case <-tick.C:
			}
		}
		if openNow(t, a, ch) {
			t.Error("the changing node still uses the old rules")
		}
		if openNow(t, b, ch) {
			t.Error("the other node still uses the old rules after hearing of the change")
		}
	})
}

func TestService_LostEventsDropTheCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clk := &clock{t: monday10}
		s := hours.New(hours.Config{Store: st, Now: clk.now})
		ch := newChannel(t, st)
		openNow(t, s, ch)
		officePolicy(t, st, "Weekend", "sat", "sun")
		s.Lost()
		if openNow(t, s, ch) {
			t.Error("the old rules are used after events were lost")
		}
	})
}

func TestService_ASavedChannelIsKnownAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := hours.New(hours.Config{Store: st, TTL: time.Hour})
		if _, err := s.Rules(context.Background()); err != nil {
			t.Fatal(err)
		}
		ch := newChannel(t, st)
		s.Publish(domain.Event{Type: domain.EventChannelCreated, ChannelID: ch.ID})
		rules, err := s.Rules(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := rules.Channels[ch.ID]; !ok {
			t.Error("a channel created after the rules were loaded is unknown after channel.created")
		}
	})
}
