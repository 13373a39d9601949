package store

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// DeadLetter is an inbound payload that was accepted from a provider but
// could not be processed. It is kept, raw, until an admin retries it.
type DeadLetter struct {
	ID          int64  `json:"id"`
	ChannelID   int64  `json:"channel_id"`
	ContentType string `json:"content_type"`
	Payload     []byte `json:"-"`
	Error       string `json:"error"`
	Attempts    int    `json:"attempts"`
	ResolvedAt  int64  `json:"resolved_at,omitempty"`
	CreatedAt   int64  `json:"created_at"`
	UpdatedAt   int64  `json:"updated_at"`
}

// AddDeadLetter keeps a payload that failed processing. The payload is
// kept byte for byte; the error and content type are cleaned as text (an
// error may quote the payload's NULs or broken UTF-8), so that a dead letter
// can always be stored.
func (s *Store) AddDeadLetter(ctx context.Context, d *DeadLetter) error {
	now := Now()
	d.Error, d.ContentType = domain.CleanText(d.Error), domain.CleanText(d.ContentType)
	d.CreatedAt, d.UpdatedAt, d.Attempts = now, now, 1
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO inbound_dead (channel_id, content_type, payload, error, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, d.ChannelID, d.ContentType, d.Payload, d.Error, now).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("keep dead letter for channel %d: %w", d.ChannelID, err)
	}
	return nil
}

const deadColumns = "id, channel_id, content_type, payload, error, attempts, resolved_at, created_at, updated_at"

func scanDead(row interface{ Scan(...any) error }) (*DeadLetter, error) {
	var d DeadLetter
	err := row.Scan(&d.ID, &d.ChannelID, &d.ContentType, &d.Payload, &d.Error, &d.Attempts, &d.ResolvedAt, &d.CreatedAt, &d.UpdatedAt)
	return &d, err
}

// DeadLetterByID returns one dead letter with its payload.
func (s *Store) DeadLetterByID(ctx context.Context, id int64) (*DeadLetter, error) {
	d, err := scanDead(s.rq.QueryRowContext(ctx, "SELECT "+deadColumns+" FROM inbound_dead WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("dead letter %d", id), err)
	}
	return d, nil
}

// DeadLetters lists unresolved dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context) ([]*DeadLetter, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+deadColumns+" FROM inbound_dead WHERE resolved_at = 0 ORDER BY id LIMIT 500")
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	out := []*DeadLetter{}
	for rows.Next() {
		d, err := scanDead(rows)
		if err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeadLetterCount counts the dead letters not yet processed.
func (s *Store) DeadLetterCount(ctx context.Context) (int, error) {
	var n int
	if err := s.rq.QueryRowContext(ctx, "SELECT COUNT(*) FROM inbound_dead WHERE resolved_at = 0").Scan(&n); err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return n, nil
}

// RetriableDeadLetters lists unresolved dead letters tried fewer than
// attempts times, least recently tried first, with their payloads.
func (s *Store) RetriableDeadLetters(ctx context.Context, attempts, limit int) ([]*DeadLetter, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+deadColumns+" FROM inbound_dead WHERE resolved_at = 0 AND attempts < $1 ORDER BY updated_at, id LIMIT $2", attempts, limit)
	if err != nil {
		return nil, fmt.Errorf("list retriable dead letters: %w", err)
	}
	defer rows.Close()
	var out []*DeadLetter
	for rows.Next() {
		d, err := scanDead(rows)
		if err != nil {
			return nil, fmt.Errorf("list retriable dead letters: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ResolveDeadLetter records the outcome of a retry: resolved, or failed
// again with errText.
func (s *Store) ResolveDeadLetter(ctx context.Context, id int64, resolved bool, errText string) error {
	now := Now()
	var err error
	if resolved {
		_, err = s.q.ExecContext(ctx, "UPDATE inbound_dead SET resolved_at = $2, attempts = attempts + 1, updated_at = $2 WHERE id = $1", id, now)
	} else {
		_, err = s.q.ExecContext(ctx, "UPDATE inbound_dead SET error = $2, attempts = attempts + 1, updated_at = $3 WHERE id = $1", id, domain.CleanText(errText), now)
	}
	if err != nil {
		return fmt.Errorf("update dead letter %d: %w", id, err)
	}
	return nil
}
