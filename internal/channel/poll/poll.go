// Package poll runs the adapters whose providers are read rather than
// pushing to Loket (channel.Poller): mentions, review sites. One Runner per
// kind looks after every enabled channel of it, each on one node at a time
// (the node holding the channel's lock), and keeps each channel's cursor in
// the database only once what it read is stored, so a crash or a node's
// death reads the same page again instead of skipping it.
package poll

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Store lists channels and keeps their cursors; *store.Store satisfies it.
type Store interface {
	Channels(ctx context.Context, kind string) ([]*domain.Channel, error)
	ChannelCursor(ctx context.Context, channelID int64) (string, error)
	SetChannelCursor(ctx context.Context, channelID int64, cursor string) error
}

// Config wires a Runner.
type Config struct {
	Kind   string
	Poller channel.Poller
	Store  Store
	// Locks may be nil when one process owns the database.
	Locks  channel.Locks
	Ingest channel.IngestFunc
	// Report tells a channel's health (nil error: healthy again).
	Report func(ctx context.Context, channelID int64, err error)
	Log    *slog.Logger
	// Rescan is how often the channel list is read again; a minute when
	// zero. A saved channel is picked up at once (Publish).
	Rescan time.Duration
	// MaxBackoff caps the wait after failures; five minutes when zero.
	MaxBackoff time.Duration
}

// Runner polls the channels of one kind; it is a channel.Runner and a
// domain.Publisher.
type Runner struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Runner for cfg.
func New(cfg Config) *Runner {
	if cfg.Rescan == 0 {
		cfg.Rescan = time.Minute
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Runner{cfg: cfg, wake: make(chan struct{}, 1)}
}

// polling is one channel's running poller.
type polling struct {
	fingerprint string
	stop        context.CancelFunc
	done        chan struct{}
}

// Run polls until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	running := map[int64]*polling{}
	defer func() {
		for id, p := range running {
			r.stopOne(context.WithoutCancel(ctx), id, p, true)
		}
		if c, ok := r.cfg.Locks.(interface{ Close() }); ok {
			c.Close()
		}
	}()
	tick := time.NewTicker(r.cfg.Rescan)
	defer tick.Stop()
	for {
		r.rescan(ctx, running)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.wake:
		}
	}
}

func (r *Runner) stopOne(ctx context.Context, id int64, p *polling, unlock bool) {
	p.stop()
	<-p.done
	if unlock && r.cfg.Locks != nil {
		r.cfg.Locks.Unlock(ctx, lockName(r.cfg.Kind, id))
	}
}

// rescan starts polling new or changed channels and stops removed,
// disabled or changed ones, and those whose lock this node lost.
func (r *Runner) rescan(ctx context.Context, running map[int64]*polling) {
	chs, err := r.cfg.Store.Channels(ctx, r.cfg.Kind)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Log.Error("poll: list channels", "kind", r.cfg.Kind, "err", err)
		}
		return
	}
	want := map[int64]*domain.Channel{}
	for _, ch := range chs {
		if ch.Enabled && ch.Kind == r.cfg.Kind {
			want[ch.ID] = ch
		}
	}
	if r.cfg.Locks != nil {
		if err := r.cfg.Locks.Check(ctx); err != nil {
			r.cfg.Log.Warn("poll: channel locks lost; polling what this node can lock again", "kind", r.cfg.Kind, "err", err)
			for id, p := range running {
				r.stopOne(ctx, id, p, false)
				delete(running, id)
			}
		}
		for id := range want {
			ok, err := r.cfg.Locks.TryLock(ctx, lockName(r.cfg.Kind, id))
			if err != nil && ctx.Err() == nil {
				r.cfg.Log.Warn("poll: lock channel", "channel", id, "err", err)
			}
			if !ok {
				delete(want, id)
			}
		}
	}
	for id, p := range running {
		if ch, ok := want[id]; !ok || channel.Fingerprint(ch) != p.fingerprint {
			r.stopOne(ctx, id, p, !ok)
			delete(running, id)
		}
	}
	for id, ch := range want {
		if _, ok := running[id]; ok {
			continue
		}
		pctx, stop := context.WithCancel(ctx)
		p := &polling{fingerprint: channel.Fingerprint(ch), stop: stop, done: make(chan struct{})}
		running[id] = p
		go func() {
			defer close(p.done)
			r.poll(pctx, ch)
		}()
	}
}

// poll reads one channel until ctx ends: a page, stored, then its cursor
// kept; waiting the channel's interval between polls, and longer after
// failures (as long as the provider asks, on a rate limit).
func (r *Runner) poll(ctx context.Context, ch *domain.Channel) {
	failing := ch.Status != ""
	failures := 0
	var at position
	for {
		err := r.once(ctx, ch, &at)
		if ctx.Err() != nil {
			return
		}
		if r.cfg.Report != nil && (err != nil || failing) {
			r.cfg.Report(context.WithoutCancel(ctx), ch.ID, err)
		}
		failing = err != nil
		wait := max(r.cfg.Poller.PollInterval(ch), time.Millisecond)
		if err != nil {
			failures++
			r.cfg.Log.Warn("poll: channel failed", "kind", r.cfg.Kind, "channel", ch.ID, "failures", failures, "err", err)
			wait = min(max(wait<<min(failures-1, 10), channel.RetryWait(err)), max(r.cfg.MaxBackoff, channel.RetryWait(err)))
			if channel.IsPermanent(err) {
				wait = r.cfg.MaxBackoff
			}
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// position is where a channel's poller has read up to: the cursor kept
// in the database, read once when the poller starts (this node holds the
// channel's lock, so no other writes it meanwhile).
type position struct {
	cursor string
	known  bool
}

// once polls a channel once and stores what it read, then its cursor.
func (r *Runner) once(ctx context.Context, ch *domain.Channel, at *position) error {
	if !at.known {
		cursor, err := r.cfg.Store.ChannelCursor(ctx, ch.ID)
		if err != nil {
			return err
		}
		at.cursor, at.known = cursor, true
	}
	payload, next, err := r.cfg.Poller.Poll(ctx, ch, at.cursor)
	if err != nil {
		return fmt.Errorf("poll %s channel %d: %w", r.cfg.Kind, ch.ID, err)
	}
	if len(payload) > 0 {
		if err := r.cfg.Ingest(ctx, ch, "application/json", payload); err != nil {
			return fmt.Errorf("store what %s channel %d read: %w", r.cfg.Kind, ch.ID, err)
		}
	}
	if next != at.cursor {
		if err := r.cfg.Store.SetChannelCursor(ctx, ch.ID, next); err != nil {
			return err
		}
		at.cursor = next
	}
	return nil
}

// Publish implements domain.Publisher: a saved channel is picked up at
// once. It never blocks.
func (r *Runner) Publish(events ...domain.Event) {
	for _, ev := range events {
		if ev.Type == domain.EventChannelCreated || ev.Type == domain.EventChannelUpdated {
			r.Lost()
			return
		}
	}
}

// Lost hears that events may have been missed: read the channels again.
func (r *Runner) Lost() {
	select {
	case r.wake <- struct{}{}:
	default: // a rescan is due already
	}
}

func lockName(kind string, id int64) string { return fmt.Sprintf("poll:%s:%d", kind, id) }
