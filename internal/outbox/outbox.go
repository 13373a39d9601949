// Package outbox runs the delivery loop for outbound messages: it claims
// due jobs from the durable outbox table and hands each to a delivery
// function. Jobs survive crashes because they are rows written in the same
// transaction as their message; a worker that dies mid-delivery loses only
// its lease, which is short and renewed while a delivery runs, so that a
// dead node's jobs are taken over within seconds. The same loop runs the
// task queue (rules, webhooks). The package knows nothing about channels
// or providers.
package outbox

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"loket.dev/loket/internal/store"
)

// DeliverFunc delivers one job and records its outcome.
type DeliverFunc func(ctx context.Context, job store.Job)

// Queue is a table of leased jobs: the outbox (*store.Store) or the task
// queue (store.TaskQueue).
type Queue interface {
	Claim(ctx context.Context, limit int, lease int64) ([]store.Job, error)
	RenewJobs(ctx context.Context, ids []int64, lease int64) error
}

// Worker claims and delivers jobs.
type Worker struct {
	store   Queue
	deliver DeliverFunc
	log     *slog.Logger
	wake    <-chan struct{}
	freed   chan struct{} // a delivery ended: a slot is free
	poll    time.Duration
	// Lease is how long a claimed job is held from other workers; it is
	// renewed every third of it while the delivery runs, so a dead node's
	// jobs are taken over within about a lease. Set it before Run.
	Lease       time.Duration
	timeout     time.Duration // the longest one delivery may take
	concurrency int

	mu       sync.Mutex
	inFlight map[int64]*delivery // by job id
}

// delivery is a job being delivered: how to stop it, and until when its
// lease is known to hold.
type delivery struct {
	cancel context.CancelFunc
	until  time.Time
}

// NewWorker returns a worker; Run starts it. A signal on wake (such as
// desk.Desk.Queued) makes it look for jobs at once instead of at its next
// poll; wake may be nil.
func NewWorker(s Queue, deliver DeliverFunc, wake <-chan struct{}, log *slog.Logger) *Worker {
	return &Worker{
		store: s, deliver: deliver, log: log, wake: wake, freed: make(chan struct{}, 1),
		poll:        time.Second,
		Lease:       15 * time.Second,
		timeout:     time.Minute,
		concurrency: 8,
		inFlight:    map[int64]*delivery{},
	}
}

// Run delivers jobs until ctx is done, then waits for deliveries in flight.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	renewCtx, stopRenewing := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() { w.renew(renewCtx); close(renewed) }()
	// Stop renewing only once every delivery has ended.
	defer func() { <-renewed }()
	defer stopRenewing()
	defer wg.Wait()
	sem := make(chan struct{}, w.concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.wake:
		case <-w.freed:
		}
		for ctx.Err() == nil {
			free := w.concurrency - len(sem)
			if free == 0 {
				break
			}
			jobs, err := w.store.Claim(ctx, free, w.Lease.Milliseconds())
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("outbox claim", "err", err)
				}
				break
			}
			for _, j := range jobs {
				// Deliveries finish even during shutdown, within their
				// time limit, unless their lease is lost.
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.timeout)
				if !w.track(j.ID, cancel) {
					// Still being delivered here: its lease ran out while
					// renewals failed, and that delivery was told to stop.
					cancel()
					continue
				}
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { w.untrack(j.ID); cancel(); <-sem; wg.Done() }()
					w.deliver(dctx, j)
					select {
					case w.freed <- struct{}{}:
					default:
					}
				}()
			}
			if len(jobs) < free {
				break
			}
		}
		timer.Reset(w.poll)
	}
}

// track notes a delivery starting with a fresh lease; false when the job
// is already being delivered by this worker.
func (w *Worker) track(id int64, cancel context.CancelFunc) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inFlight[id] != nil {
		return false
	}
	w.inFlight[id] = &delivery{cancel: cancel, until: time.Now().Add(w.Lease)}
	return true
}

func (w *Worker) untrack(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, id)
}

// renew extends the leases of the jobs being delivered every lease/3
// until ctx ends, in one statement for all of them. A delivery whose lease
// could not be renewed and is about to run out is stopped: another node
// may take the job over, and one of them must not send it.
func (w *Worker) renew(ctx context.Context) {
	tick := time.NewTicker(w.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		ids := make([]int64, 0, len(w.inFlight))
		for id := range w.inFlight {
			ids = append(ids, id)
		}
		w.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		now := time.Now()
		err := w.store.RenewJobs(ctx, ids, w.Lease.Milliseconds())
		if err != nil && ctx.Err() == nil {
			w.log.Warn("outbox lease renewal", "jobs", len(ids), "err", err)
		}
		w.mu.Lock()
		for _, id := range ids {
			d := w.inFlight[id]
			switch {
			case d == nil:
			case err == nil:
				d.until = now.Add(w.Lease)
			case time.Until(d.until) < w.Lease/3:
				w.log.Warn("outbox lease lost; stopping the delivery", "job", id)
				d.cancel()
			}
		}
		w.mu.Unlock()
	}
}

// Backoff is the wait before attempt n+1 after attempt n failed:
// exponential from 5 s, capped at one hour, with ±20% jitter so that
// retries of many messages do not arrive at a provider together.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2)) - d/5
	return d + jitter
}
