package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Job is one outbound message waiting to be delivered, or one task (see
// Tasks), whose Kind and Payload say what to do.
type Job struct {
	ID          int64
	MessageID   int64
	ChannelID   int64
	Kind        string
	Payload     []byte
	Attempts    int // including the one now being made
	MaxAttempts int
}

// Enqueue adds a delivery job for a stored message. Call it in the
// transaction that stores the message, so that neither exists without the
// other.
func (s *Store) Enqueue(ctx context.Context, messageID, channelID int64, maxAttempts int) error {
	return s.EnqueueAt(ctx, messageID, channelID, maxAttempts, Now())
}

// EnqueueAt adds a delivery job due at runAt (Unix ms), for a scheduled
// reply.
func (s *Store) EnqueueAt(ctx context.Context, messageID, channelID int64, maxAttempts int, runAt int64) error {
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO outbox (message_id, channel_id, state, max_attempts, run_at, created_at, updated_at)
		 VALUES ($1, $2, 'pending', $3, $4, $5, $5)
		 ON CONFLICT (message_id) DO UPDATE SET state = 'pending', attempts = 0, max_attempts = excluded.max_attempts,
		 run_at = excluded.run_at, locked_until = 0, last_error = '', updated_at = excluded.updated_at`,
		messageID, channelID, maxAttempts, runAt, Now())
	if err != nil {
		return fmt.Errorf("enqueue message %d: %w", messageID, err)
	}
	return nil
}

// CancelJob gives up a message's pending delivery that no worker holds;
// false when there is none, such as when it is being delivered.
func (s *Store) CancelJob(ctx context.Context, messageID int64) (bool, error) {
	now := Now()
	res, err := s.q.ExecContext(ctx,
		`UPDATE outbox SET state = 'failed', last_error = 'cancelled', updated_at = $2
		 WHERE message_id = $1 AND state = 'pending' AND locked_until <= $2`, messageID, now)
	if err != nil {
		return false, fmt.Errorf("cancel delivery of message %d: %w", messageID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Claim takes up to limit due jobs for lease milliseconds. A job whose
// worker dies is claimed again when its lease runs out.
func (s *Store) Claim(ctx context.Context, limit int, lease int64) ([]Job, error) {
	return s.claim(ctx, "outbox", "message_id, channel_id", limit, lease, func(j *Job) []any { return []any{&j.MessageID, &j.ChannelID} })
}

// claim takes up to limit due rows of a leased table (the outbox, tasks)
// for lease milliseconds; fields says where the columns besides id,
// attempts and max_attempts go.
func (s *Store) claim(ctx context.Context, table, columns string, limit int, lease int64, fields func(*Job) []any) ([]Job, error) {
	now := Now()
	var jobs []Job
	err := s.Tx(ctx, func(tx *Store) error {
		rows, err := tx.q.QueryContext(ctx,
			`SELECT id, attempts, max_attempts, `+columns+` FROM `+table+`
			 WHERE state = 'pending' AND run_at <= $1 AND locked_until <= $1
			 ORDER BY run_at, id LIMIT $2`+tx.skipLocked(), now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var j Job
			if err := rows.Scan(append([]any{&j.ID, &j.Attempts, &j.MaxAttempts}, fields(&j)...)...); err != nil {
				rows.Close()
				return err
			}
			j.Attempts++
			jobs = append(jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(jobs) == 0 {
			return err
		}
		return tx.lease(ctx, table, jobs, now+lease)
	})
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", table, err)
	}
	return jobs, nil
}

// RenewJobs extends the leases of jobs still pending to lease
// milliseconds from now, so that no other worker claims them while their
// delivery runs.
func (s *Store) RenewJobs(ctx context.Context, ids []int64, lease int64) error {
	return s.renew(ctx, "outbox", ids, lease)
}

// lease takes claimed jobs of table until lockedUntil and counts the
// attempt.
func (s *Store) lease(ctx context.Context, table string, jobs []Job, lockedUntil int64) error {
	args := []any{lockedUntil, Now()}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		args = append(args, j.ID)
		ids[i] = "$" + strconv.Itoa(len(args))
	}
	_, err := s.q.ExecContext(ctx, "UPDATE "+table+" SET attempts = attempts + 1, locked_until = $1, updated_at = $2 WHERE id IN ("+
		strings.Join(ids, ", ")+")", args...)
	return err
}

func (s *Store) renew(ctx context.Context, table string, ids []int64, lease int64) error {
	now := Now()
	args := []any{now + lease, now}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	_, err := s.q.ExecContext(ctx, "UPDATE "+table+" SET locked_until = $1, updated_at = $2 WHERE state = 'pending' AND id IN ("+
		strings.Join(marks, ", ")+")", args...)
	if err != nil {
		return fmt.Errorf("renew %d %s leases: %w", len(ids), table, err)
	}
	return nil
}

// FinishJob marks a job done.
func (s *Store) FinishJob(ctx context.Context, id int64) error {
	return s.setJob(ctx, "outbox", id, "done", 0, "")
}

// RetryJob makes a job due again at runAt, keeping the error.
func (s *Store) RetryJob(ctx context.Context, id int64, runAt int64, errText string) error {
	return s.setJob(ctx, "outbox", id, "pending", runAt, errText)
}

// FailJob gives up on a job.
func (s *Store) FailJob(ctx context.Context, id int64, errText string) error {
	return s.setJob(ctx, "outbox", id, "failed", 0, errText)
}

func (s *Store) setJob(ctx context.Context, table string, id int64, state string, runAt int64, errText string) error {
	_, err := s.q.ExecContext(ctx,
		`UPDATE `+table+` SET state = $2, run_at = CASE WHEN CAST($3 AS BIGINT) > 0 THEN CAST($3 AS BIGINT) ELSE run_at END, locked_until = 0,
		 last_error = $4, updated_at = $5 WHERE id = $1`, id, state, runAt, errText, Now())
	if err != nil {
		return fmt.Errorf("update %s job %d: %w", table, id, err)
	}
	return nil
}

// OldestDueJob returns when the earliest pending job became due (Unix
// milliseconds), 0 when none is due.
func (s *Store) OldestDueJob(ctx context.Context) (int64, error) {
	var oldest nullInt
	if err := s.rq.QueryRowContext(ctx, "SELECT MIN(run_at) FROM outbox WHERE state = 'pending' AND run_at <= $1", Now()).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("oldest due outbox job: %w", err)
	}
	return oldest.Int64, nil
}

// PendingJobs counts jobs not yet done or failed.
func (s *Store) PendingJobs(ctx context.Context) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").Scan(&n)
	return n, err
}
