package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"time"

	"loket.dev/loket/internal/domain"
)

// RoutableTicket is what the router needs of a ticket that waits for or is
// held by an agent.
type RoutableTicket struct {
	ID         int64
	TeamID     int64
	AssigneeID int64
	Priority   domain.Priority
	Kind       string // the channel's kind; empty without a channel
	Skills     []string
	EnqueuedAt int64 // when the customer last wrote, else when it was created
	SLADue     int64
}

// RoutableTickets calls fn for every ticket the router should know: new
// or open, owned by a team and not held by the FAQ bot.
func (s *Store) RoutableTickets(ctx context.Context, fn func(RoutableTicket) error) error {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT t.id, t.team_id, t.assignee_id, t.priority, COALESCE(c.kind, ''), t.skills,
		 CASE WHEN t.last_customer_at > 0 THEN t.last_customer_at ELSE t.created_at END, t.sla_due
		 FROM tickets t LEFT JOIN channels c ON c.id = t.channel_id
		 WHERE t.status IN ('new', 'open') AND t.team_id IS NOT NULL AND t.bot_state <> 'active'
		 ORDER BY t.id`)
	if err != nil {
		return fmt.Errorf("routable tickets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rt RoutableTicket
		var assignee nullInt
		var skills string
		if err := rows.Scan(&rt.ID, &rt.TeamID, &assignee, &rt.Priority, &rt.Kind, &skills, &rt.EnqueuedAt, &rt.SLADue); err != nil {
			return fmt.Errorf("routable tickets: %w", err)
		}
		rt.AssigneeID = assignee.Int64
		if rt.Skills, err = decodeStrings(skills); err != nil {
			return fmt.Errorf("skills of ticket %d: %w", rt.ID, err)
		}
		if err := fn(rt); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveRoutingState stores the routing leader's latest view for all nodes.
func (s *Store) SaveRoutingState(ctx context.Context, state []byte, at int64) error {
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO routing_state (id, state, updated_at) VALUES (1, $1, $2)
		 ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, string(state), at)
	if err != nil {
		return fmt.Errorf("save routing state: %w", err)
	}
	return nil
}

// RoutingState returns the routing leader's latest view and when it was
// saved, or ErrNotFound before a leader saved one.
func (s *Store) RoutingState(ctx context.Context) ([]byte, int64, error) {
	var state string
	var at int64
	err := s.rq.QueryRowContext(ctx, "SELECT state, updated_at FROM routing_state WHERE id = 1").Scan(&state, &at)
	if err != nil {
		return nil, 0, notFound("routing state", err)
	}
	return []byte(state), at, nil
}

// Lock is a cluster-wide lock held on its own database connection; it is
// lost when that connection is.
type Lock struct {
	conn *sql.Conn // nil on SQLite, where one process owns the database
	key  int64
}

// TryLock takes the named lock if no other node holds it; it returns nil
// when another does. On SQLite the single process always gets it.
func (s *Store) TryLock(ctx context.Context, name string) (*Lock, error) {
	if s.dialect != Postgres {
		return &Lock{}, nil
	}
	conn, err := s.writer.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	h := fnv.New64a()
	h.Write([]byte("loket:" + name))
	key := int64(h.Sum64())
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return &Lock{conn: conn, key: key}, nil
}

// Check reports an error when the lock may have been lost (its connection
// failed).
func (l *Lock) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	return l.conn.PingContext(ctx)
}

// Release gives the lock up and returns its connection to the pool.
func (l *Lock) Release() {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.key); err != nil {
		// The session may still hold the lock: drop the connection.
		l.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	l.conn.Close()
}
