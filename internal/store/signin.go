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

// RecordFailedSignIn counts a wrong password for agent id from address.
func (s *Store) RecordFailedSignIn(ctx context.Context, id int64, address string) error {
	_, err := s.q.ExecContext(ctx,
		`UPDATE agents SET failed_sign_ins = failed_sign_ins + 1, failed_sign_in_at = $2, failed_sign_in_from = $3 WHERE id = $1`,
		id, Now(), address)
	if err != nil {
		return fmt.Errorf("record failed sign-in of agent %d: %w", id, err)
	}
	return nil
}

// TakeSignInFailures returns the failed sign-ins of agent id and resets
// them, as a successful sign-in does.
func (s *Store) TakeSignInFailures(ctx context.Context, id int64) (SignInFailures, error) {
	var f SignInFailures
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.q.QueryRowContext(ctx, `SELECT failed_sign_ins, failed_sign_in_at, failed_sign_in_from FROM agents WHERE id = $1`, id).
			Scan(&f.Count, &f.LastAt, &f.LastFrom); err != nil {
			return err
		}
		if f.Count == 0 {
			return nil
		}
		_, err := tx.q.ExecContext(ctx, `UPDATE agents SET failed_sign_ins = 0, failed_sign_in_at = 0, failed_sign_in_from = '' WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("sign-in failures of agent %d: %w", id, err)
	}
	return f, nil
}
