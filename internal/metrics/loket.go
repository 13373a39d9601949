package metrics

import (
	"context"
	"strconv"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Facts are what the gauges read at each scrape; the store and the
// routing dispatcher provide them.
type Facts struct {
	Store *store.Store
	// Queues reports the routing queues: team, kind, waiting, longest
	// wait in milliseconds. Nil leaves the queue gauges out.
	Queues func(ctx context.Context) ([]Queue, error)
}

// Queue is one routing queue's waiting work.
type Queue struct {
	TeamID        int64
	Kind          string
	Waiting       int
	LongestWaitMs int64
}

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

// RegisterLoket adds Loket's gauges read from the database, and returns
// the listener that counts messages and delivery updates as the node
// commits them (hear every event through the realtime hub).
func RegisterLoket(r *Registry, f Facts) domain.Publisher {
	read := func(q func(ctx context.Context) ([]Sample, error)) func() ([]Sample, error) {
		return func() ([]Sample, error) {
			ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
			defer cancel()
			return q(ctx)
		}
	}
	r.NewGaugeFunc("loket_outbox_pending", "Replies waiting in the outbox to be delivered.", nil, read(func(ctx context.Context) ([]Sample, error) {
		n, err := f.Store.PendingJobs(ctx)
		return []Sample{{Value: float64(n)}}, err
	}))
	r.NewGaugeFunc("loket_outbox_oldest_age_seconds", "Age of the oldest reply due in the outbox; 0 when none.", nil, read(func(ctx context.Context) ([]Sample, error) {
		oldest, err := f.Store.OldestDueJob(ctx)
		age := 0.0
		if oldest > 0 {
			age = max(0, float64(store.Now()-oldest)/1000)
		}
		return []Sample{{Value: age}}, err
	}))
	r.NewGaugeFunc("loket_tasks_pending", "Background tasks (rule triggers, webhook deliveries, campaign sends) not yet done.", nil, read(func(ctx context.Context) ([]Sample, error) {
		n, err := f.Store.Tasks().Pending(ctx)
		return []Sample{{Value: float64(n)}}, err
	}))
	r.NewGaugeFunc("loket_dead_letters", "Inbound payloads kept as dead letters, not yet processed.", nil, read(func(ctx context.Context) ([]Sample, error) {
		n, err := f.Store.DeadLetterCount(ctx)
		return []Sample{{Value: float64(n)}}, err
	}))
	r.NewGaugeFunc("loket_channel_healthy", "1 when a channel reports no trouble (its status is empty), else 0.", []string{"channel", "kind"},
		read(func(ctx context.Context) ([]Sample, error) {
			chs, err := f.Store.Channels(ctx, "")
			var out []Sample
			for _, c := range chs {
				v := 1.0
				if c.Status != "" {
					v = 0
				}
				out = append(out, Sample{Labels: Labels{strconv.FormatInt(c.ID, 10), c.Kind}, Value: v})
			}
			return out, err
		}))
	r.NewGaugeFunc("loket_sla_breached_open_tickets", "Tickets not yet solved with a breached SLA target.", nil, read(func(ctx context.Context) ([]Sample, error) {
		n, err := f.Store.BreachedOpenTickets(ctx)
		return []Sample{{Value: float64(n)}}, err
	}))
	if f.Queues != nil {
		queues := func(ctx context.Context, value func(Queue) float64) ([]Sample, error) {
			qs, err := f.Queues(ctx)
			out := make([]Sample, 0, len(qs))
			for _, q := range qs {
				out = append(out, Sample{Labels: Labels{strconv.FormatInt(q.TeamID, 10), q.Kind}, Value: value(q)})
			}
			return out, err
		}
		r.NewGaugeFunc("loket_queue_waiting", "Work waiting in a team's routing queue, by kind of work.", []string{"team", "kind"},
			read(func(ctx context.Context) ([]Sample, error) {
				return queues(ctx, func(q Queue) float64 { return float64(q.Waiting) })
			}))
		r.NewGaugeFunc("loket_queue_longest_wait_seconds", "How long the longest-waiting item of a queue has waited.", []string{"team", "kind"},
			read(func(ctx context.Context) ([]Sample, error) {
				return queues(ctx, func(q Queue) float64 { return float64(q.LongestWaitMs) / 1000 })
			}))
	}
	return &eventCounter{
		messages:   r.NewCounter("loket_messages_total", "Messages this node stored, by channel and direction (in, out, or none for notes).", "channel", "direction"),
		deliveries: r.NewCounter("loket_delivery_updates_total", "Delivery status changes of outbound messages on this node, by channel and status.", "channel", "status"),
		breaches:   r.NewCounter("loket_sla_breaches_total", "SLA targets breached, as this node noticed them.", "team"),
	}
}

// eventCounter counts committed events of this node.
type eventCounter struct {
	messages, deliveries, breaches *Counter
}

// Publish implements domain.Publisher. Events from other nodes come
// without their message and are counted there.
func (c *eventCounter) Publish(events ...domain.Event) {
	for _, ev := range events {
		switch {
		case ev.Type == domain.EventMessageCreated && ev.Message != nil:
			dir := string(ev.Message.Direction)
			if dir == "" {
				dir = "none" // notes and timeline events
			}
			c.messages.Inc(strconv.FormatInt(ev.Message.ChannelID, 10), dir)
		case ev.Type == domain.EventMessageUpdated && ev.Message != nil && ev.Message.Direction == domain.DirectionOut:
			c.deliveries.Inc(strconv.FormatInt(ev.Message.ChannelID, 10), string(ev.Message.DeliveryStatus))
		case ev.Type == domain.EventSLABreached && ev.Ticket != nil:
			c.breaches.Inc(strconv.FormatInt(ev.TeamID, 10))
		}
	}
}
