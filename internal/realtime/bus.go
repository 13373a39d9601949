package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

// pgChannel is the PostgreSQL notification channel events travel on.
const pgChannel = "loket_events"

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// Notifier sends a PostgreSQL notification.
type Notifier interface {
	Notify(ctx context.Context, channel, payload string) error
}

// PGBus shares events between nodes on one PostgreSQL database: events
// published here reach the local hub at once and the other nodes through
// NOTIFY. Notifications carry ids, never bodies; receivers load them.
type PGBus struct {
	hub    *Hub
	notify Notifier
	url    string
	node   string
	log    *slog.Logger
	queue  chan domain.Event
	// IdleCheck is how long the bus waits for a notification before it
	// asks the server whether the listening connection is still there: one
	// that died without a word (a restarted proxy, a cut network) would
	// otherwise keep this node deaf to the others. Set it before Run.
	IdleCheck time.Duration
	// overflow is set while events are being dropped for a full queue.
	overflow atomic.Bool
	// listened is set once LISTEN succeeded; listen runs in one goroutine.
	listened bool
	ready    chan struct{} // closed once LISTEN first succeeded
}

type busMessage struct {
	Node   string         `json:"n"`
	Events []domain.Event `json:"e"`
}

// NewPGBus returns a bus for the database at url; Run starts it.
func NewPGBus(hub *Hub, notify Notifier, url string, log *slog.Logger) *PGBus {
	return &PGBus{hub: hub, notify: notify, url: url, node: secret.Token("node")[:20], log: log, queue: make(chan domain.Event, 65536),
		ready: make(chan struct{}), IdleCheck: 10 * time.Second}
}

// Listening is closed once the bus hears other nodes: events they publish
// from then on reach this node.
func (b *PGBus) Listening() <-chan struct{} { return b.ready }

// Publish implements domain.Publisher.
func (b *PGBus) Publish(events ...domain.Event) {
	b.hub.Publish(events...)
	for _, ev := range events {
		ev.Ticket, ev.Message = nil, nil
		select {
		case b.queue <- ev:
		default:
			// Once per burst: the first dropped event closes the sockets,
			// which catch up; the send loop rearms this when it drains.
			if b.overflow.CompareAndSwap(false, true) {
				b.log.Warn("realtime bus queue full; events not shared with other nodes", "type", ev.Type, "ticket", ev.TicketID)
				b.hub.Lost()
			}
		}
	}
}

// Run sends queued events and listens for other nodes' until ctx is done.
func (b *PGBus) Run(ctx context.Context) {
	go b.sendLoop(ctx)
	for ctx.Err() == nil {
		if err := b.listen(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("realtime bus: listen failed; reconnecting", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (b *PGBus) sendLoop(ctx context.Context) {
	for {
		var batch []domain.Event
		select {
		case <-ctx.Done():
			return
		case ev := <-b.queue:
			batch = append(batch, ev)
		}
		if len(b.queue) == 0 {
			b.overflow.Store(false)
		}
	fill:
		for len(batch) < 40 {
			select {
			case ev := <-b.queue:
				batch = append(batch, ev)
			default:
				break fill
			}
		}
		for len(batch) > 0 {
			n := len(batch)
			payload, _ := json.Marshal(busMessage{Node: b.node, Events: batch})
			for len(payload) > maxPayload && n > 1 {
				n /= 2
				payload, _ = json.Marshal(busMessage{Node: b.node, Events: batch[:n]})
			}
			if err := b.notify.Notify(ctx, pgChannel, string(payload)); err != nil && ctx.Err() == nil {
				b.log.Warn("realtime bus: notify failed", "err", err)
			}
			batch = batch[n:]
		}
	}
}

// wait returns the next notification, or nil when none came within
// IdleCheck and the connection answered a ping; an error when it did not.
func (b *PGBus) wait(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	wctx, cancel := context.WithTimeout(ctx, b.IdleCheck)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return n, err
	}
	pctx, cancel := context.WithTimeout(ctx, b.IdleCheck)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return nil, fmt.Errorf("the listening connection stopped answering: %w", err)
	}
	return nil, nil
}

func (b *PGBus) listen(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, b.url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// Whatever other nodes sent while this node was not listening is
	// gone; on the first connection there was nothing to miss.
	if b.listened {
		b.hub.Lost()
	} else {
		close(b.ready)
	}
	b.listened = true
	for {
		n, err := b.wait(ctx, conn)
		if err != nil {
			return err
		}
		if n == nil {
			continue
		}
		var m busMessage
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil || m.Node == b.node {
			continue
		}
		b.hub.Publish(m.Events...)
	}
}
