package store

import (
	"context"
	"fmt"
)

// SignInFailures are the failed sign-ins to an account since its last
// successful one.
type SignInFailures struct {
	Count    int    `json:"count"`
	LastAt   int64  `json:"last_at"`   // Unix milliseconds
	LastFrom string `json:"last_from"` // the client address of the last one
}

// Lockout is the rule that locks an account against guessing: after
// Failures failed sign-ins within Window, sign-in is refused for Lock,
// doubled for each lock since the last successful sign-in, up to MaxLock.
type Lockout struct {
	Failures int
	Window   int64 // ms
	Lock     int64 // ms
	MaxLock  int64 // ms
}

// lockFor is how long the lock after lockouts earlier ones lasts.
func (l Lockout) lockFor(lockouts int) int64 {
	d := l.Lock
	for range lockouts {
		if d >= l.MaxLock {
			break
		}
		d *= 2
	}
	return min(d, l.MaxLock)
}

// RecordFailedSignIn counts a wrong password or code for agent id from
// address at now (Unix ms). When the failure locks the account under
// rule, it returns when the lock ends; otherwise 0. Of several nodes
// counting the same failures at once, only one sees the lock begin.
func (s *Store) RecordFailedSignIn(ctx context.Context, id int64, address string, now int64, rule Lockout) (lockedUntil int64, err error) {
	var failures, lockouts int
	err = s.q.QueryRowContext(ctx,
		`UPDATE agents SET failed_sign_ins = failed_sign_ins + 1, failed_sign_in_at = $2, failed_sign_in_from = $3,
		 lock_failures = CASE WHEN lock_window_at <= CAST($2 AS BIGINT) - CAST($4 AS BIGINT) THEN 1 ELSE lock_failures + 1 END,
		 lock_window_at = CASE WHEN lock_window_at <= CAST($2 AS BIGINT) - CAST($4 AS BIGINT) THEN $2 ELSE lock_window_at END
		 WHERE id = $1 RETURNING lock_failures, lockouts`,
		id, now, address, rule.Window).Scan(&failures, &lockouts)
	if err != nil {
		return 0, fmt.Errorf("record failed sign-in of agent %d: %w", id, err)
	}
	if failures < rule.Failures {
		return 0, nil
	}
	until := now + rule.lockFor(lockouts)
	res, err := s.q.ExecContext(ctx,
		`UPDATE agents SET locked_until = $2, lockouts = lockouts + 1, lock_failures = 0, lock_window_at = 0
		 WHERE id = $1 AND lock_failures >= $3`, id, until, rule.Failures)
	if err != nil {
		return 0, fmt.Errorf("lock agent %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, err
	}
	return until, nil
}

// LockedUntil returns when the lock on agent id's account ends: a time
// not after now means it is not locked.
func (s *Store) LockedUntil(ctx context.Context, id int64) (int64, error) {
	var until int64
	if err := s.q.QueryRowContext(ctx, "SELECT locked_until FROM agents WHERE id = $1", id).Scan(&until); err != nil {
		return 0, notFound(fmt.Sprintf("agent %d", id), err)
	}
	return until, nil
}

// Unlock lifts the lock on an account and forgets its failed sign-ins.
func (s *Store) Unlock(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, "UPDATE agents SET locked_until = 0, lockouts = 0, lock_failures = 0, lock_window_at = 0 WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("unlock agent %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("agent %d", id))
}

// TakeSignInFailures returns the failed sign-ins of agent id and resets
// them and the lockout's count, as a successful sign-in does.
func (s *Store) TakeSignInFailures(ctx context.Context, id int64) (SignInFailures, error) {
	var f SignInFailures
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.q.QueryRowContext(ctx, `SELECT failed_sign_ins, failed_sign_in_at, failed_sign_in_from FROM agents WHERE id = $1`, id).
			Scan(&f.Count, &f.LastAt, &f.LastFrom); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE agents SET failed_sign_ins = 0, failed_sign_in_at = 0, failed_sign_in_from = '',
			lock_failures = 0, lock_window_at = 0, lockouts = 0 WHERE id = $1 AND (failed_sign_ins > 0 OR lockouts > 0 OR lock_failures > 0)`, id)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("sign-in failures of agent %d: %w", id, err)
	}
	return f, nil
}
