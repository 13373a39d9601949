package store

import (
	"context"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// CannedResponse is a prepared answer.
type CannedResponse struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// SaveCannedResponse creates (ID 0) or updates a canned response.
func (s *Store) SaveCannedResponse(ctx context.Context, c *CannedResponse) error {
	now := Now()
	c.UpdatedAt = now
	var err error
	if c.ID == 0 {
		c.CreatedAt = now
		err = s.q.QueryRowContext(ctx, "INSERT INTO canned_responses (title, text, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
			c.Title, c.Text, now).Scan(&c.ID)
	} else {
		err = s.q.QueryRowContext(ctx, "UPDATE canned_responses SET title = $2, text = $3, updated_at = $4 WHERE id = $1 RETURNING created_at",
			c.ID, c.Title, c.Text, now).Scan(&c.CreatedAt)
	}
	if isUnique(err) {
		return domain.Invalid("title_taken", fmt.Sprintf("a canned response titled %q already exists", c.Title))
	}
	if err != nil {
		return notFound(fmt.Sprintf("canned response %d", c.ID), err)
	}
	return nil
}

// DeleteCannedResponse removes a canned response.
func (s *Store) DeleteCannedResponse(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM canned_responses WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete canned response %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("canned response %d", id))
}

// CannedResponses lists every canned response by title.
func (s *Store) CannedResponses(ctx context.Context) ([]*CannedResponse, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT id, title, text, created_at, updated_at FROM canned_responses ORDER BY title, id")
	if err != nil {
		return nil, fmt.Errorf("list canned responses: %w", err)
	}
	defer rows.Close()
	out := []*CannedResponse{}
	for rows.Next() {
		var c CannedResponse
		if err := rows.Scan(&c.ID, &c.Title, &c.Text, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list canned responses: %w", err)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}
