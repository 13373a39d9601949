// Package tasks runs durable background tasks: each kind of task has a
// handler, and the runner records every outcome, retrying failures with
// backoff until the task's attempts are used up. Tasks are rows in the
// store (see store.AddTask) claimed by an outbox.Worker, so each runs once
// across nodes and survives restarts.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"loket.dev/loket/internal/outbox"
	"loket.dev/loket/internal/store"
)

// Handler does one task. A nil error finishes it; an error retries it
// later, unless it is Permanent or the last attempt.
type Handler func(ctx context.Context, job store.Job) error

// Runner dispatches claimed tasks to their handlers.
type Runner struct {
	queue store.TaskQueue
	log   *slog.Logger
	now   func() time.Time

	mu       sync.RWMutex
	handlers map[string]Handler
	wake     chan struct{}
}

// NewRunner returns a runner over st's task queue.
func NewRunner(st *store.Store, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	return &Runner{queue: st.Tasks(), log: log, now: time.Now, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a kind of task. Register every kind
// before the worker runs.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Wake tells the worker that a task was added, so it looks at once
// rather than at its next poll.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Worker returns the worker that claims tasks and runs them.
func (r *Runner) Worker() *outbox.Worker {
	return outbox.NewWorker(r.queue, r.Run, r.wake, r.log)
}

// Run does one claimed task and records its outcome.
func (r *Runner) Run(ctx context.Context, job store.Job) {
	r.mu.RLock()
	h := r.handlers[job.Kind]
	r.mu.RUnlock()
	var err error
	if h == nil {
		err = Permanent(fmt.Errorf("no handler for tasks of kind %q", job.Kind))
	} else {
		err = h(ctx, job)
	}
	// The outcome is recorded even when the task used up its time.
	ctx = context.WithoutCancel(ctx)
	var rerr error
	switch {
	case err == nil:
		rerr = r.queue.Finish(ctx, job.ID)
	case IsPermanent(err) || job.Attempts >= job.MaxAttempts:
		r.log.Warn("task failed", "kind", job.Kind, "task", job.ID, "attempt", job.Attempts, "err", err)
		rerr = r.queue.Fail(ctx, job.ID, err.Error())
	default:
		r.log.Info("task will be retried", "kind", job.Kind, "task", job.ID, "attempt", job.Attempts, "err", err)
		rerr = r.queue.Retry(ctx, job.ID, r.now().Add(outbox.Backoff(job.Attempts)).UnixMilli(), err.Error())
	}
	if rerr != nil {
		// The lease runs out and the task is claimed again.
		r.log.Error("record task outcome", "kind", job.Kind, "task", job.ID, "err", rerr)
	}
}

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error that retrying cannot cure.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
