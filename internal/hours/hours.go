// Package hours serves the SLA configuration that business hours and
// service levels are computed from: policies, calendars and the channel
// facts policies choose by. It loads them from the store, builds them once
// and caches them for every part of a node that asks (the desk, the bot,
// the website chat, the e-mail acknowledgement). A change on any node
// reaches every node's cache through an sla.changed event; a short time to
// live covers an event that got lost. The arithmetic itself is internal/sla.
package hours

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
	"loket.dev/loket/internal/store"
)

// DefaultTTL is how long loaded rules are used before they are read again
// when no change was announced.
const DefaultTTL = 10 * time.Second

// Config wires a Service.
type Config struct {
	Store *store.Store
	// Events carries sla.changed to every node (the realtime bus on
	// PostgreSQL, the hub on SQLite); nil tells this Service only.
	Events domain.Publisher
	// TTL is DefaultTTL when zero.
	TTL time.Duration
	// Now is the clock; nil is the real one.
	Now func() time.Time
}

// Service hands out the current Rules. It is safe for concurrent use.
type Service struct {
	store  *store.Store
	events domain.Publisher
	ttl    time.Duration
	now    func() time.Time

	// gen counts invalidations: rules loaded before the latest one are
	// stale even when a load was under way while it happened.
	gen    atomic.Uint64
	cached atomic.Pointer[snapshot]
	load   sync.Mutex // one load at a time
}

type snapshot struct {
	rules  *Rules
	gen    uint64
	loaded time.Time
}

// New returns a Service. Make it hear the hub's events (hub.Listen) so
// that changes on other nodes reach it.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, events: cfg.Events, ttl: cfg.TTL, now: cfg.Now}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Rules returns the current configuration, loading it when the cache is
// stale. When loading fails it returns the error together with the rules
// it had, if any, for callers that prefer old hours to none.
func (s *Service) Rules(ctx context.Context) (*Rules, error) {
	if r := s.fresh(); r != nil {
		return r, nil
	}
	s.load.Lock()
	defer s.load.Unlock()
	if r := s.fresh(); r != nil {
		return r, nil
	}
	gen := s.gen.Load()
	r, err := load(ctx, s.store)
	if err != nil {
		var old *Rules
		if c := s.cached.Load(); c != nil {
			old = c.rules
		}
		return old, fmt.Errorf("load business hours: %w", err)
	}
	s.cached.Store(&snapshot{rules: r, gen: gen, loaded: s.now()})
	return r, nil
}

func (s *Service) fresh() *Rules {
	c := s.cached.Load()
	if c == nil || c.gen != s.gen.Load() || s.now().Sub(c.loaded) >= s.ttl {
		return nil
	}
	return c.rules
}

// ForChannel returns the business hours of ch: the calendar of the policy
// that applies to a new normal-priority conversation on it, or nil when
// that policy has no calendar (the team counts as always at work).
func (s *Service) ForChannel(ctx context.Context, ch *domain.Channel) (*sla.Calendar, error) {
	r, err := s.Rules(ctx)
	if r == nil {
		return nil, err
	}
	return r.ForChannel(ch), err
}

// Changed drops the cache after this node saved a calendar, policy or
// channel, and tells the other nodes to drop theirs.
func (s *Service) Changed() {
	s.invalidate()
	if s.events != nil {
		s.events.Publish(domain.Event{Type: domain.EventSLAChanged})
	}
}

func (s *Service) invalidate() { s.gen.Add(1) }

// Publish implements domain.Publisher: an sla.changed event from any node
// drops the cache. It never blocks.
func (s *Service) Publish(events ...domain.Event) {
	for _, ev := range events {
		switch ev.Type {
		case domain.EventSLAChanged, domain.EventChannelCreated, domain.EventChannelUpdated:
			// The rules know each channel's kind and team too.
			s.invalidate()
			return
		}
	}
}

// Lost drops the cache: the hub may have missed a change.
func (s *Service) Lost() { s.invalidate() }

// Rules is one loaded SLA configuration. It is shared and must not be
// modified.
type Rules struct {
	Policies  []*sla.Policy
	Calendars map[int64]*sla.Calendar
	// Channels holds what policies choose by that belongs to a channel.
	Channels map[int64]Channel
	// UsesAttributes is set when some policy looks at contact attributes,
	// which callers then have to load.
	UsesAttributes bool
}

// Channel is a channel's kind and default team.
type Channel struct {
	Kind   string
	TeamID int64
}

// Choose returns the policy that applies to f and its calendar, which is
// always open when the policy names none.
func (r *Rules) Choose(f sla.Facts) (*sla.Policy, *sla.Calendar) {
	p := sla.Choose(r.Policies, f)
	cal := r.Calendars[p.CalendarID]
	if cal == nil {
		cal = sla.AlwaysOpen()
	}
	return p, cal
}

// Calendar returns the calendar with id, or nil.
func (r *Rules) Calendar(id int64) *sla.Calendar { return r.Calendars[id] }

// ForChannel is Service.ForChannel on these rules.
func (r *Rules) ForChannel(ch *domain.Channel) *sla.Calendar {
	p := sla.Choose(r.Policies, sla.Facts{ChannelKind: ch.Kind, ChannelID: ch.ID, TeamID: ch.TeamID,
		Priority: string(domain.PriorityNormal)})
	return r.Calendars[p.CalendarID]
}

func load(ctx context.Context, st *store.Store) (*Rules, error) {
	policies, err := st.Policies(ctx)
	if err != nil {
		return nil, err
	}
	cals, err := st.Calendars(ctx)
	if err != nil {
		return nil, err
	}
	chs, err := st.Channels(ctx, "")
	if err != nil {
		return nil, err
	}
	r := &Rules{Policies: policies, Calendars: map[int64]*sla.Calendar{}, Channels: map[int64]Channel{}}
	for _, c := range cals {
		cal, err := sla.NewCalendar(c.Config)
		if err != nil {
			return nil, fmt.Errorf("calendar %d: %w", c.ID, err)
		}
		r.Calendars[c.ID] = cal
	}
	for _, c := range chs {
		r.Channels[c.ID] = Channel{Kind: c.Kind, TeamID: c.TeamID}
	}
	for _, p := range policies {
		if p.Conditions.Attribute != nil {
			r.UsesAttributes = true
		}
	}
	return r, nil
}
