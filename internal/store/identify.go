package store

import (
	"context"
	"fmt"
)

// IdentifyRequest is a public post's author's request to be linked to
// their own contact, by an e-mail address they confirm.
type IdentifyRequest struct {
	ID          int64
	TicketID    int64
	ContactID   int64
	Email       string
	CodeHash    string
	Attempts    int
	CreatedAt   int64
	ConfirmedAt int64
}

// CreateIdentifyRequest stores a new request under its link token's hash.
func (s *Store) CreateIdentifyRequest(ctx context.Context, tokenHash string, ticketID, contactID, at int64) error {
	_, err := s.q.ExecContext(ctx,
		"INSERT INTO identify_requests (token_hash, ticket_id, contact_id, created_at) VALUES ($1, $2, $3, $4)",
		tokenHash, ticketID, contactID, at)
	if err != nil {
		return fmt.Errorf("create identify request for ticket %d: %w", ticketID, err)
	}
	return nil
}

// IdentifyRequestByToken returns the request a link token opens.
func (s *Store) IdentifyRequestByToken(ctx context.Context, tokenHash string) (*IdentifyRequest, error) {
	var r IdentifyRequest
	err := s.q.QueryRowContext(ctx,
		`SELECT id, ticket_id, contact_id, email, code_hash, attempts, created_at, confirmed_at
		 FROM identify_requests WHERE token_hash = $1`, tokenHash).
		Scan(&r.ID, &r.TicketID, &r.ContactID, &r.Email, &r.CodeHash, &r.Attempts, &r.CreatedAt, &r.ConfirmedAt)
	if err != nil {
		return nil, notFound("identify request", err)
	}
	return &r, nil
}

// SetIdentifyEmail records the address an author gave and the hash of the
// code sent there, counting the attempt.
func (s *Store) SetIdentifyEmail(ctx context.Context, id int64, email, codeHash string) error {
	res, err := s.q.ExecContext(ctx,
		"UPDATE identify_requests SET email = $2, code_hash = $3, attempts = attempts + 1 WHERE id = $1 AND confirmed_at = 0",
		id, email, codeHash)
	if err != nil {
		return fmt.Errorf("set identify request %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("identify request %d", id))
}

// ConfirmIdentify marks a request confirmed; it reports false when it was
// confirmed already.
func (s *Store) ConfirmIdentify(ctx context.Context, id, at int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, "UPDATE identify_requests SET confirmed_at = $2 WHERE id = $1 AND confirmed_at = 0", id, at)
	if err != nil {
		return false, fmt.Errorf("confirm identify request %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
