package store

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

var errNotFound = domain.ErrNotFound

// nextNumber hands out the next value of a named counter: a sequence on
// PostgreSQL (unique across nodes, never blocks other transactions), a row
// in counters on SQLite (one writer, so no contention).
func (s *Store) nextNumber(ctx context.Context, name string) (int64, error) {
	var n int64
	var err error
	if s.dialect == Postgres {
		err = s.q.QueryRowContext(ctx, "SELECT nextval('"+name+"')").Scan(&n)
	} else {
		err = s.q.QueryRowContext(ctx, "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value", name).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("next %s: %w", name, err)
	}
	return n, nil
}

// textMatch returns a condition matching messages whose text contains the
// words of the parameter at position arg.
func (s *Store) textMatch(arg int) string {
	if s.dialect == Postgres {
		return fmt.Sprintf("to_tsvector('simple', m.body_text) @@ plainto_tsquery('simple', $%d)", arg)
	}
	return fmt.Sprintf("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $%d)", arg)
}

// skipLocked is appended to a SELECT that claims rows so that PostgreSQL
// nodes never claim the same row; SQLite has one writer and needs nothing.
func (s *Store) skipLocked() string {
	if s.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
