package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
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

// LockTicket holds the ticket's row until the transaction ends, so that a
// change decided on what was read then cannot overwrite one committed
// meanwhile. It must be called inside Tx; on SQLite, where one connection
// writes, transactions never interleave and it only checks the ticket exists.
func (s *Store) LockTicket(ctx context.Context, id int64) error {
	q := "SELECT id FROM tickets WHERE id = $1"
	if s.dialect == Postgres {
		q += " FOR UPDATE"
	}
	if err := s.q.QueryRowContext(ctx, q, id).Scan(&id); err != nil {
		return notFound(fmt.Sprintf("ticket %d", id), err)
	}
	return nil
}

// AwayIfUnseen sets an online agent away, as Loket's choice, if its app
// has still not been seen since before; it reports whether it did. Reading
// the unseen agents and setting them away in two steps would set away an
// agent whose app came back in between, and that app would stay connected
// while the agent gets no work.
func (s *Store) AwayIfUnseen(ctx context.Context, agentID, before, at int64) (bool, error) {
	res, err := s.q.ExecContext(ctx,
		`UPDATE agents SET presence = 'away', presence_auto = $4, presence_at = $3
		 WHERE id = $1 AND presence = 'online' AND seen_at < $2 AND NOT disabled`, agentID, before, at, true)
	if err != nil {
		return false, fmt.Errorf("set agent %d away: %w", agentID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set agent %d away: %w", agentID, err)
	}
	return n > 0, nil
}

// TicketRouting is what the router reads of any ticket to follow a change.
type TicketRouting struct {
	RoutableTicket
	Status    domain.TicketStatus
	BotState  string
	ChannelID int64
}

// TicketsRouting reads the routing state of the tickets with the given ids
// in one query per 500; tickets that do not exist are absent from the map.
// The router reads every changed ticket, so at a high message rate one
// query per batch of events rather than per ticket matters.
func (s *Store) TicketsRouting(ctx context.Context, ids []int64) (map[int64]*TicketRouting, error) {
	out := make(map[int64]*TicketRouting, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		ph := make([]string, n)
		for i, id := range ids[:n] {
			args[i] = id
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		ids = ids[n:]
		rows, err := s.rq.QueryContext(ctx,
			`SELECT t.id, COALESCE(t.team_id, 0), COALESCE(t.assignee_id, 0), t.priority, COALESCE(c.kind, ''), t.skills,
			 CASE WHEN t.last_customer_at > 0 THEN t.last_customer_at ELSE t.created_at END, t.sla_due,
			 t.status, t.bot_state, COALESCE(t.channel_id, 0)
			 FROM tickets t LEFT JOIN channels c ON c.id = t.channel_id
			 WHERE t.id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("routing of tickets: %w", err)
		}
		for rows.Next() {
			var tr TicketRouting
			var skills string
			if err := rows.Scan(&tr.ID, &tr.TeamID, &tr.AssigneeID, &tr.Priority, &tr.Kind, &skills, &tr.EnqueuedAt, &tr.SLADue,
				&tr.Status, &tr.BotState, &tr.ChannelID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("routing of tickets: %w", err)
			}
			if tr.Skills, err = decodeStrings(skills); err != nil {
				rows.Close()
				return nil, fmt.Errorf("skills of ticket %d: %w", tr.ID, err)
			}
			out[tr.ID] = &tr
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("routing of tickets: %w", err)
		}
	}
	return out, nil
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
	conn, err := s.session.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	key := lockKey(name)
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
