// Package handling measures handling time: how long agents have a ticket
// open in the agent app. The app says so every few seconds while it shows
// a ticket (presence frames, see realtime.Hub); a Tracker turns those
// frames into spans and stores a span once it has ended: when the agent
// leaves the ticket, or when the frames stop.
package handling

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"loket.dev/loket/internal/store"
)

// Idle is how long a span lasts without frames before it ends at its last
// frame: the app sends one every 20 s while it shows the ticket.
const Idle = time.Minute

type key struct{ agent, ticket int64 }

type span struct{ start, last time.Time }

// Tracker collects the spans of this node's agents.
type Tracker struct {
	store *store.Store
	log   *slog.Logger

	mu    sync.Mutex
	open  map[key]*span
	ended []store.HandlingSpan
}

// New returns a tracker that stores spans in st; Run stores them.
func New(st *store.Store, log *slog.Logger) *Tracker {
	if log == nil {
		log = slog.Default()
	}
	return &Tracker{store: st, log: log, open: map[key]*span{}}
}

// Seen notes that an agent has a ticket open at a moment.
func (t *Tracker) Seen(agentID, ticketID int64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := key{agentID, ticketID}
	s := t.open[k]
	if s != nil && at.Sub(s.last) > Idle {
		t.end(k, s.last)
		s = nil
	}
	if s == nil {
		t.open[k] = &span{start: at, last: at}
		return
	}
	if at.After(s.last) {
		s.last = at
	}
}

// Left notes that an agent closed a ticket.
func (t *Tracker) Left(agentID, ticketID int64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := key{agentID, ticketID}
	if s := t.open[k]; s != nil {
		end := at
		if at.Sub(s.last) > Idle {
			end = s.last
		}
		t.end(k, end)
	}
}

// end closes a span; the caller holds mu.
func (t *Tracker) end(k key, at time.Time) {
	s := t.open[k]
	delete(t.open, k)
	if ms := at.Sub(s.start).Milliseconds(); ms > 0 {
		t.ended = append(t.ended, store.HandlingSpan{TicketID: k.ticket, AgentID: k.agent, StartedAt: s.start.UnixMilli(), Ms: ms})
	}
}

// Flush ends the spans idle at now (all of them with all) and stores the
// ended spans. Spans it cannot store are kept for the next flush.
func (t *Tracker) Flush(ctx context.Context, now time.Time, all bool) error {
	t.mu.Lock()
	for k, s := range t.open {
		if all || now.Sub(s.last) > Idle {
			t.end(k, s.last)
		}
	}
	ended := t.ended
	t.ended = nil
	t.mu.Unlock()
	if len(ended) == 0 {
		return nil
	}
	if err := t.store.AddHandling(ctx, ended); err != nil {
		t.mu.Lock()
		t.ended = append(ended, t.ended...)
		t.mu.Unlock()
		return err
	}
	return nil
}

// Run stores ended spans every 30 s until ctx ends, then ends and stores
// every span.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := t.Flush(context.WithoutCancel(ctx), time.Now(), true); err != nil {
				t.log.Error("store handling time", "err", err)
			}
			return
		case <-tick.C:
			if err := t.Flush(ctx, time.Now(), false); err != nil {
				t.log.Warn("store handling time", "err", err)
			}
		}
	}
}
