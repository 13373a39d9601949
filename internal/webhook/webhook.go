// Package webhook sends Loket's events to outside systems that subscribed
// to them (webhooks out): it keeps the subscriptions, turns each trigger of
// the automation core into one signed delivery per subscribed webhook, and
// delivers them as durable tasks with retries, recording every attempt in
// the delivery log. It turns a webhook off after repeated failures and
// tells admins. It never calls a receiver from the request that caused an
// event, and never connects to Loket's own network unless allowed to.
// Receivers check deliveries with Verify (docs/webhooks.md).
package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// EventTypes are the event types a webhook may subscribe to: the types of
// the automation core's triggers. It must not be modified.
var EventTypes = domain.TriggerTypes

// DisableAfter is how many deliveries in a row may fail, each after all
// its attempts (MaxAttempts, a day of retries), before Loket turns the
// webhook off: its receiver has then been failing for at least a day.
// Counting whole deliveries rather than attempts means a receiver that is
// down for an hour loses nothing, and one that is gone for good stops
// costing retries.
const DisableAfter = 10

// MaxAttempts is how often a delivery is tried before it counts as
// failed; with the task queue's backoff (5 s doubling to at most an hour)
// the last attempt comes about 24 hours after the first.
const MaxAttempts = 34

// KeepLog is how long finished deliveries stay in the log (Prune).
const KeepLog = 30 * 24 * time.Hour

// DefaultTTL is how long the subscriptions Watches answers from are used
// before they are read again when no change was announced.
const DefaultTTL = 10 * time.Second

// Config wires a Service.
type Config struct {
	Store *store.Store
	// Events carries webhook.changed to every node and webhook.disabled to
	// admins (the realtime bus on PostgreSQL, the hub on SQLite); nil
	// tells nobody.
	Events domain.Publisher
	Log    *slog.Logger
	// AllowPrivate lets webhooks call loopback, private and link-local
	// addresses (LOKET_WEBHOOK_ALLOW_PRIVATE); off, such URLs are refused
	// when saved and every connection is checked again when made.
	AllowPrivate bool
	// TTL is DefaultTTL when zero.
	TTL time.Duration
	// Now is the clock deliveries are signed with; time.Now when nil.
	Now func() time.Time
	// Wake, when set, tells the task runner that deliveries were queued
	// (tasks.Runner.Wake), so they start at once instead of at its next
	// poll.
	Wake func()
}

// Service keeps webhooks and delivers events to them. It is safe for
// concurrent use.
type Service struct {
	store        *store.Store
	events       domain.Publisher
	log          *slog.Logger
	allowPrivate bool
	client       *http.Client
	ttl          time.Duration
	now          func() time.Time
	wakeRunner   func()

	// gen counts invalidations: subscriptions loaded before the latest
	// one are stale even when a load was under way while it happened.
	gen    atomic.Uint64
	cached atomic.Pointer[watched]
	load   sync.Mutex // one load at a time
}

// watched is the set of event types some active webhook subscribes to.
type watched struct {
	types  map[string]bool
	gen    uint64
	loaded time.Time
}

// New returns a Service. Make it hear the hub's events (hub.Listen) so
// that changes on other nodes reach its cache.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, events: cfg.Events, log: cfg.Log, allowPrivate: cfg.AllowPrivate,
		client: NewClient(cfg.AllowPrivate), ttl: cfg.TTL, now: cfg.Now, wakeRunner: cfg.Wake}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Watches reports whether an active webhook subscribes to eventType, so
// that the automation core records only triggers someone listens to. It
// answers from memory; when the subscriptions cannot be read it says yes,
// since a trigger recorded for nobody costs less than an event lost.
func (s *Service) Watches(eventType string) bool {
	w, err := s.watched()
	if err != nil {
		s.log.Warn("webhook subscriptions unreadable; recording the trigger", "type", eventType, "err", err)
		return true
	}
	return w.types[eventType]
}

func (s *Service) watched() (*watched, error) {
	if w := s.fresh(); w != nil {
		return w, nil
	}
	s.load.Lock()
	defer s.load.Unlock()
	if w := s.fresh(); w != nil {
		return w, nil
	}
	gen := s.gen.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hooks, err := s.store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	w := &watched{types: map[string]bool{}, gen: gen, loaded: time.Now()}
	for _, h := range hooks {
		if h.Active {
			for _, e := range h.Events {
				w.types[e] = true
			}
		}
	}
	s.cached.Store(w)
	return w, nil
}

func (s *Service) fresh() *watched {
	w := s.cached.Load()
	if w == nil || w.gen != s.gen.Load() || time.Since(w.loaded) >= s.ttl {
		return nil
	}
	return w
}

// wake tells the task runner that deliveries were queued.
func (s *Service) wake() {
	if s.wakeRunner != nil {
		s.wakeRunner()
	}
}

// Publish implements domain.Publisher: webhook.changed from any node drops
// the cached subscriptions. It never blocks.
func (s *Service) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == domain.EventWebhooksChanged {
			s.gen.Add(1)
			return
		}
	}
}

// Lost drops the cache: the hub may have missed a change.
func (s *Service) Lost() { s.gen.Add(1) }

// changed drops this node's cache and tells the other nodes to drop
// theirs, after a webhook was saved.
func (s *Service) changed(more ...domain.Event) {
	s.gen.Add(1)
	if s.events != nil {
		s.events.Publish(append(more, domain.Event{Type: domain.EventWebhooksChanged})...)
	}
}

// checkEvents refuses an empty list and unknown types, and drops repeats.
func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, domain.Invalid("invalid_events", fmt.Sprintf("events must name at least one event type: %v", EventTypes))
	}
	var out []string
	for _, e := range events {
		if !slices.Contains(EventTypes, e) {
			return nil, domain.Invalid("unknown_event_type", fmt.Sprintf("%q is not an event type; use one of %v", e, EventTypes))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Create adds a webhook with a new secret, which the returned webhook
// carries to be shown once. actor names the admin in the audit log.
func (s *Service) Create(ctx context.Context, actor, url string, events []string) (*domain.Webhook, error) {
	if err := CheckURL(ctx, url, s.allowPrivate); err != nil {
		return nil, err
	}
	events, err := checkEvents(events)
	if err != nil {
		return nil, err
	}
	w := &domain.Webhook{URL: url, Events: events, Active: true, Secret: secret.Token("whsec")}
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateWebhook(ctx, w); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "webhook.create", fmt.Sprintf("webhook %d", w.ID), w.URL)
	})
	if err != nil {
		return nil, err
	}
	s.changed()
	return w, nil
}

// Change is what Update changes; nil fields stay as they are.
type Change struct {
	URL    *string
	Events *[]string
	Active *bool
}

// Update changes a webhook. Turning it on again clears why it was turned
// off and its count of failures, so it gets a fresh start.
func (s *Service) Update(ctx context.Context, actor string, id int64, c Change) (*domain.Webhook, error) {
	if c.URL != nil {
		if err := CheckURL(ctx, *c.URL, s.allowPrivate); err != nil {
			return nil, err
		}
	}
	var events []string
	if c.Events != nil {
		var err error
		if events, err = checkEvents(*c.Events); err != nil {
			return nil, err
		}
	}
	var w *domain.Webhook
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		var err error
		if w, err = tx.Webhook(ctx, id); err != nil {
			return err
		}
		if c.URL != nil {
			w.URL = *c.URL
		}
		if events != nil {
			w.Events = events
		}
		if c.Active != nil {
			if *c.Active && !w.Active {
				w.DisabledReason, w.Failures = "", 0
			}
			if !*c.Active && w.Active {
				w.DisabledReason = ""
			}
			w.Active = *c.Active
		}
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "webhook.update", fmt.Sprintf("webhook %d", w.ID), w.URL)
	})
	if err != nil {
		return nil, err
	}
	s.changed()
	return w, nil
}

// Delete removes a webhook and its delivery log; deliveries still pending
// are dropped.
func (s *Service) Delete(ctx context.Context, actor string, id int64) error {
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		w, err := tx.Webhook(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "webhook.delete", fmt.Sprintf("webhook %d", id), w.URL)
	})
	if err != nil {
		return err
	}
	s.changed()
	return nil
}

// Prune deletes finished deliveries older than KeepLog from the log; one
// node at a time runs it now and then.
func (s *Service) Prune(ctx context.Context) error {
	_, err := s.store.PruneWebhookDeliveries(ctx, s.now().Add(-KeepLog).UnixMilli())
	return err
}
