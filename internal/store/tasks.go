package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Task is background work to add: Kind names the handler, Payload is its
// input. A non-empty Key makes adding the same task again a no-op. RunAt
// (Unix ms) is when it is due, zero for now; MaxAttempts zero means 8.
type Task struct {
	Kind        string
	Key         string
	Payload     []byte
	RunAt       int64
	MaxAttempts int
}

// AddTask adds a task; call it in the transaction whose change makes the
// task due. It reports false when a task with the same key exists.
func (s *Store) AddTask(ctx context.Context, t Task) (int64, bool, error) {
	now := Now()
	if t.RunAt == 0 {
		t.RunAt = now
	}
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = 8
	}
	if len(t.Payload) == 0 {
		t.Payload = []byte("{}")
	}
	var id int64
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO tasks (kind, dedup_key, payload, max_attempts, run_at, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6)
		 ON CONFLICT (dedup_key) WHERE dedup_key <> '' DO NOTHING RETURNING id`,
		t.Kind, t.Key, string(t.Payload), t.MaxAttempts, t.RunAt, now).Scan(&id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("add %s task: %w", t.Kind, err)
	}
	return id, true, nil
}

// Tasks is the task queue, with the methods an outbox.Worker needs.
func (s *Store) Tasks() TaskQueue { return TaskQueue{s} }

// TaskQueue claims, renews and settles tasks.
type TaskQueue struct{ s *Store }

// Claim takes up to limit due tasks for lease milliseconds.
func (q TaskQueue) Claim(ctx context.Context, limit int, lease int64) ([]Job, error) {
	return q.s.claim(ctx, "tasks", "kind, payload", limit, lease, func(j *Job) []any { return []any{&j.Kind, &j.Payload} })
}

// RenewJobs extends the leases of tasks still running.
func (q TaskQueue) RenewJobs(ctx context.Context, ids []int64, lease int64) error {
	return q.s.renew(ctx, "tasks", ids, lease)
}

// Finish marks a task done.
func (q TaskQueue) Finish(ctx context.Context, id int64) error {
	return q.s.setJob(ctx, "tasks", id, "done", 0, "")
}

// Retry makes a task due again at runAt, keeping the error.
func (q TaskQueue) Retry(ctx context.Context, id int64, runAt int64, errText string) error {
	return q.s.setJob(ctx, "tasks", id, "pending", runAt, errText)
}

// Fail gives up on a task.
func (q TaskQueue) Fail(ctx context.Context, id int64, errText string) error {
	return q.s.setJob(ctx, "tasks", id, "failed", 0, errText)
}

// Prune deletes tasks that ended before the given time (Unix ms).
func (q TaskQueue) Prune(ctx context.Context, before int64) (int64, error) {
	res, err := q.s.q.ExecContext(ctx, "DELETE FROM tasks WHERE state <> 'pending' AND updated_at < $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune tasks: %w", err)
	}
	return res.RowsAffected()
}

// State reports a task's state, attempts and last error, for tests
// and the API.
func (q TaskQueue) State(ctx context.Context, id int64) (state string, attempts int, lastError string, err error) {
	err = q.s.rq.QueryRowContext(ctx, "SELECT state, attempts, last_error FROM tasks WHERE id = $1", id).Scan(&state, &attempts, &lastError)
	if err != nil {
		err = notFound(fmt.Sprintf("task %d", id), err)
	}
	return
}

// Pending counts the tasks not yet done or failed.
func (q TaskQueue) Pending(ctx context.Context) (int, error) {
	var n int
	if err := q.s.rq.QueryRowContext(ctx, "SELECT COUNT(*) FROM tasks WHERE state = 'pending'").Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending tasks: %w", err)
	}
	return n, nil
}

// List returns the oldest tasks of a kind, whatever their state.
func (q TaskQueue) List(ctx context.Context, kind string, limit int) ([]Job, error) {
	rows, err := q.s.rq.QueryContext(ctx, "SELECT id, kind, payload, attempts, max_attempts FROM tasks WHERE kind = $1 ORDER BY id LIMIT $2", kind, limit)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (Job, error) {
		var j Job
		var payload string
		err := row.Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.MaxAttempts)
		j.Payload = []byte(payload)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s tasks: %w", kind, err)
	}
	return out, nil
}
