// Package desk holds Loket's use cases: receiving customer messages from
// any channel, sending replies through the outbox, changing tickets and
// merging contacts. Every change is made in one transaction and announced
// as events only after it commits. Desk does not speak HTTP or any
// provider protocol; adapters and handlers call it.
package desk

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/survey"
)

// Config wires a Desk.
type Config struct {
	Store    *store.Store
	Blobs    blob.Store
	Channels *channel.Registry
	Events   domain.Publisher
	Region   string // default region for phone numbers, such as "NL"
	Log      *slog.Logger
	// MaxBatch caps how many inbound messages share one transaction.
	MaxBatch int
	// Now is the clock in Unix milliseconds; tests set it, nil is the real one.
	Now func() int64
	// BotActive reports whether the FAQ bot takes a new conversation on
	// the channel at a time; such tickets start with bot_state "active" and
	// are not routed to agents until the bot hands them over. Nil: never.
	BotActive func(ch *domain.Channel, at int64) bool
	// Hours serves SLA policies, calendars and channel facts; nil makes
	// one of the Desk's own that hears of no other node's changes.
	Hours *hours.Service
	// SurveyKey signs the links of surveys (see survey.NewSigner), and
	// BaseURL is the public address they start with.
	SurveyKey []byte
	BaseURL   string
	// Watcher says which triggers rules and webhooks react to; they are
	// recorded as tasks, and TasksAdded is called after such a commit.
	// Nil records none.
	Watcher    Watcher
	TasksAdded func()
}

// Desk runs the use cases.
type Desk struct {
	store    *store.Store
	blobs    blob.Store
	channels *channel.Registry
	events   domain.Publisher
	region   string
	log      *slog.Logger
	queued   chan struct{}
	health   health

	receives   chan *receiveReq
	maxBatch   int
	stop       chan struct{}
	wg         sync.WaitGroup
	closing    sync.RWMutex
	closed     bool
	hours      *hours.Service
	now        func() int64
	botActive  func(ch *domain.Channel, at int64) bool
	signer     *survey.Signer
	baseURL    string
	watcher    Watcher
	tasksAdded func()
	triggered  atomic.Bool // a trigger was recorded since the last publish
}

// New starts a Desk. Call Close to flush pending receives and stop.
func New(cfg Config) *Desk {
	d := &Desk{
		store: cfg.Store, blobs: cfg.Blobs, channels: cfg.Channels, events: cfg.Events,
		region: cfg.Region, log: cfg.Log, queued: make(chan struct{}, 1),
		receives:   make(chan *receiveReq, 4096),
		maxBatch:   cfg.MaxBatch,
		stop:       make(chan struct{}),
		now:        cfg.Now,
		botActive:  cfg.BotActive,
		hours:      cfg.Hours,
		signer:     survey.NewSigner(cfg.SurveyKey),
		baseURL:    strings.TrimSuffix(cfg.BaseURL, "/"),
		watcher:    cfg.Watcher,
		tasksAdded: cfg.TasksAdded,
	}
	if d.hours == nil {
		d.hours = hours.New(hours.Config{Store: cfg.Store})
	}
	if d.now == nil {
		d.now = store.Now
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.maxBatch <= 0 {
		d.maxBatch = 256
	}
	if d.events == nil {
		d.events = discard{}
	}
	// One committer per node: SQLite has one writer anyway, and on
	// PostgreSQL parallel batches would mostly wait on each other's locks.
	d.wg.Add(1)
	go d.commitLoop()
	return d
}

// Close waits for queued receives to commit, then stops.
func (d *Desk) Close() {
	d.closing.Lock()
	if !d.closed {
		d.closed = true
		close(d.stop)
	}
	d.closing.Unlock()
	d.wg.Wait()
}

// Queued signals each time an outbound message is queued, so the outbox
// worker delivers it at once instead of at its next poll.
func (d *Desk) Queued() <-chan struct{} { return d.queued }

// wake signals Queued without waiting: one pending signal is enough.
func (d *Desk) wake() {
	select {
	case d.queued <- struct{}{}:
	default:
	}
}

// Store returns the store the desk works on.
func (d *Desk) Store() *store.Store { return d.store }

// Region returns the default phone region.
func (d *Desk) Region() string { return d.region }

type discard struct{}

func (discard) Publish(...domain.Event) {}

func (d *Desk) publish(ctx context.Context, events []domain.Event) {
	if len(events) == 0 {
		return
	}
	d.events.Publish(events...)
	// Only a change that recorded a trigger wakes the task worker, so that
	// ingest batches nothing reacts to cost it no claim.
	if d.tasksAdded != nil && d.triggered.Swap(false) {
		d.tasksAdded()
	}
}

// Hours returns the SLA configuration service the desk computes with, so
// that reports count business time by the same calendars.
func (d *Desk) Hours() *hours.Service { return d.hours }
