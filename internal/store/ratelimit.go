package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Allow counts one act under key at now (Unix ms) and reports whether it
// is within the rate: one act per interval on average, with bursts up to
// burst (both in ms). It is the generic cell rate algorithm, kept in the
// database so that every node shares the count.
func (s *Store) Allow(ctx context.Context, key string, now, interval, burst int64) (bool, error) {
	greatest := "GREATEST"
	if s.dialect == SQLite {
		greatest = "MAX"
	}
	var tat int64
	err := s.writer.QueryRowContext(ctx, fmt.Sprintf(
		`INSERT INTO rate_limits (key, tat) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		 ON CONFLICT (key) DO UPDATE SET tat = %[1]s(rate_limits.tat, CAST($2 AS BIGINT)) + CAST($3 AS BIGINT)
		 WHERE %[1]s(rate_limits.tat, CAST($2 AS BIGINT)) + CAST($3 AS BIGINT) - CAST($2 AS BIGINT) <= CAST($4 AS BIGINT)
		 RETURNING tat`, greatest), key, now, interval, burst).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return true, nil
}

// Exhausted reports whether one more act under key at now would exceed
// the rate, without counting it.
func (s *Store) Exhausted(ctx context.Context, key string, now, interval, burst int64) (bool, error) {
	var tat int64
	err := s.writer.QueryRowContext(ctx, "SELECT tat FROM rate_limits WHERE key = $1", key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return max(tat, now)+interval-now > burst, nil
}

// PruneRateLimits forgets the keys that are back at their full allowance.
func (s *Store) PruneRateLimits(ctx context.Context, now int64) (int64, error) {
	res, err := s.writer.ExecContext(ctx, "DELETE FROM rate_limits WHERE tat < $1", now)
	if err != nil {
		return 0, fmt.Errorf("prune rate limits: %w", err)
	}
	return res.RowsAffected()
}
