package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Visit states at the front desk.
const (
	VisitWaiting = "waiting" // checked in, not yet called
	VisitServing = "serving" // called to a counter
	VisitDone    = "done"    // served
	VisitNoShow  = "no_show" // called but did not come
)

// Visit is one visitor checked in at a front desk channel: a queue number
// of the day, the ticket and timeline entry it belongs to, and the times
// it arrived, was called and left the counter (Unix ms; 0 when not yet).
type Visit struct {
	ID         int64  `json:"id"`
	ChannelID  int64  `json:"channel_id"`
	Day        string `json:"day"`
	Number     int64  `json:"number"`
	Label      string `json:"label"`
	TicketID   int64  `json:"ticket_id"`
	ContactID  int64  `json:"contact_id"`
	MessageID  int64  `json:"message_id"`
	Topic      string `json:"topic"`
	Status     string `json:"status"`
	Counter    string `json:"counter"`
	AgentID    int64  `json:"agent_id"`
	ArrivedAt  int64  `json:"arrived_at"`
	CalledAt   int64  `json:"called_at"`
	FinishedAt int64  `json:"finished_at"`
	Notes      string `json:"notes"`
}

const visitColumns = `id, channel_id, day, number, label, ticket_id, contact_id, message_id, topic, status, counter,
	agent_id, arrived_at, called_at, finished_at, notes`

func scanVisit(row interface{ Scan(...any) error }) (*Visit, error) {
	v := &Visit{}
	err := row.Scan(&v.ID, &v.ChannelID, &v.Day, &v.Number, &v.Label, &v.TicketID, &v.ContactID, &v.MessageID, &v.Topic,
		&v.Status, &v.Counter, &v.AgentID, &v.ArrivedAt, &v.CalledAt, &v.FinishedAt, &v.Notes)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// NextVisitNumber hands out the next queue number of a desk channel on day
// (such as "2026-12-08"), starting at 1. The upsert is atomic on both
// databases, so concurrent check-ins never share a number.
func (s *Store) NextVisitNumber(ctx context.Context, channelID int64, day string) (int64, error) {
	var n int64
	err := s.q.QueryRowContext(ctx, `INSERT INTO desk_visit_numbers (channel_id, day, last) VALUES ($1, $2, 1)
		ON CONFLICT (channel_id, day) DO UPDATE SET last = desk_visit_numbers.last + 1 RETURNING last`, channelID, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next visit number of channel %d on %s: %w", channelID, day, err)
	}
	return n, nil
}

// InsertVisit stores a checked-in visit and sets its id.
func (s *Store) InsertVisit(ctx context.Context, v *Visit) error {
	err := s.q.QueryRowContext(ctx, `INSERT INTO desk_visits (channel_id, day, number, label, ticket_id, contact_id, message_id,
		topic, status, arrived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		v.ChannelID, v.Day, v.Number, v.Label, v.TicketID, v.ContactID, v.MessageID, v.Topic, v.Status, v.ArrivedAt).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("insert visit %s of channel %d: %w", v.Label, v.ChannelID, err)
	}
	return nil
}

// Visit returns one visit.
func (s *Store) Visit(ctx context.Context, id int64) (*Visit, error) {
	v, err := scanVisit(s.rq.QueryRowContext(ctx, `SELECT `+visitColumns+` FROM desk_visits WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("visit %d", id), err)
	}
	return v, nil
}

// ClaimNextVisit calls the longest-waiting visitor of a channel to counter
// for agentID at now, and returns it, or nil when nobody waits. On
// PostgreSQL a visit another transaction is claiming is skipped, so two
// agents calling at the same moment get different visitors; SQLite has
// one writer. The status condition keeps a visit from being called twice;
// when every waiting visit is being claimed by others, it waits for them
// and tries again.
func (s *Store) ClaimNextVisit(ctx context.Context, channelID, agentID int64, counter string, now int64) (*Visit, error) {
	for range 10 {
		v, err := scanVisit(s.q.QueryRowContext(ctx, `UPDATE desk_visits SET status = $2, counter = $3, agent_id = $4, called_at = $5
			WHERE status = $6 AND id = (SELECT id FROM desk_visits WHERE channel_id = $1 AND status = $6
				ORDER BY arrived_at, id LIMIT 1`+s.skipLocked()+`)
			RETURNING `+visitColumns, channelID, VisitServing, counter, agentID, now, VisitWaiting))
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("call the next visitor of channel %d: %w", channelID, err)
		}
		waiting, err := s.lockWaitingVisits(ctx, channelID)
		if err != nil {
			return nil, fmt.Errorf("call the next visitor of channel %d: %w", channelID, err)
		}
		if waiting == 0 {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("call the next visitor of channel %d: every try lost its visitor to another call", channelID)
}

// lockWaitingVisits counts a channel's waiting visits. On PostgreSQL it
// first waits for the transactions claiming any of them and then holds
// those still waiting, so that the next claim finds them.
func (s *Store) lockWaitingVisits(ctx context.Context, channelID int64) (int, error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM desk_visits WHERE channel_id = $1 AND status = $2`+lock, channelID, VisitWaiting)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// EndVisit moves a visit being served to status (done or no show) at now
// with the agent's notes, and returns it. A visit that is not being
// served is not changed: ErrNotFound.
func (s *Store) EndVisit(ctx context.Context, id int64, status, notes string, now int64) (*Visit, error) {
	v, err := scanVisit(s.q.QueryRowContext(ctx, `UPDATE desk_visits SET status = $2, notes = $3, finished_at = $4
		WHERE id = $1 AND status = $5 RETURNING `+visitColumns, id, status, notes, now, VisitServing))
	if err != nil {
		return nil, notFound(fmt.Sprintf("visit %d being served", id), err)
	}
	return v, nil
}

// QueuedVisits returns a channel's visits that wait or are being served,
// in the order they arrived.
func (s *Store) QueuedVisits(ctx context.Context, channelID int64) ([]*Visit, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT `+visitColumns+` FROM desk_visits
		WHERE channel_id = $1 AND status IN ($2, $3) ORDER BY arrived_at, id`, channelID, VisitWaiting, VisitServing)
	if err != nil {
		return nil, fmt.Errorf("queued visits of channel %d: %w", channelID, err)
	}
	return scanVisits(rows)
}

// RecentServiceTimes returns how long (ms) the last n served visits of a
// channel spent at the counter, newest first.
func (s *Store) RecentServiceTimes(ctx context.Context, channelID int64, n int) ([]int64, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT finished_at - called_at FROM desk_visits
		WHERE channel_id = $1 AND status = $2 AND called_at > 0 ORDER BY finished_at DESC, id DESC LIMIT $3`, channelID, VisitDone, n)
	if err != nil {
		return nil, fmt.Errorf("service times of channel %d: %w", channelID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var ms int64
		if err := rows.Scan(&ms); err != nil {
			return nil, fmt.Errorf("service times of channel %d: %w", channelID, err)
		}
		out = append(out, ms)
	}
	return out, rows.Err()
}

func scanVisits(rows *sql.Rows) ([]*Visit, error) {
	defer rows.Close()
	var out []*Visit
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, fmt.Errorf("scan visit: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
