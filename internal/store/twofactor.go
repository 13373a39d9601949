package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// TOTP is an agent's authenticator secret and its state.
type TOTP struct {
	Secret   string // base32, as the authenticator app has it; "" when none
	Enabled  bool   // confirmed with a code: sign-in asks for one
	LastStep int64  // the time step of the last code accepted
}

// SetTOTPSecret stores a new, unconfirmed secret for an agent, sealed with
// the key that seals channel secrets. It fails when two-factor sign-in is
// already on: that must be turned off first.
func (s *Store) SetTOTPSecret(ctx context.Context, agentID int64, secret string) error {
	if s.box == nil {
		return errors.New("cannot store an authenticator secret: no key loaded")
	}
	res, err := s.q.ExecContext(ctx,
		"UPDATE agents SET totp_secret = $2, totp_last_step = 0 WHERE id = $1 AND NOT totp_enabled", agentID, s.box.Seal([]byte(secret)))
	if err != nil {
		return fmt.Errorf("set authenticator of agent %d: %w", agentID, err)
	}
	return mustAffect(res, fmt.Sprintf("agent %d without two-factor sign-in", agentID))
}

// AgentTOTP returns an agent's authenticator secret, opened.
func (s *Store) AgentTOTP(ctx context.Context, agentID int64) (TOTP, error) {
	var t TOTP
	var sealed string
	err := s.q.QueryRowContext(ctx, "SELECT totp_secret, totp_enabled, totp_last_step FROM agents WHERE id = $1", agentID).
		Scan(&sealed, &t.Enabled, &t.LastStep)
	if err != nil {
		return t, notFound(fmt.Sprintf("agent %d", agentID), err)
	}
	if sealed == "" {
		return t, nil
	}
	if s.box == nil {
		return t, fmt.Errorf("agent %d: the authenticator secret is sealed but no key is loaded", agentID)
	}
	plain, err := s.box.Open(sealed)
	if err != nil {
		return t, fmt.Errorf("authenticator of agent %d: %w", agentID, err)
	}
	t.Secret = string(plain)
	return t, nil
}

// UseTOTPStep records that a code of time step step was accepted for an
// agent, and reports false when one of that step or a later one already
// was: a code counts once, on every node.
func (s *Store) UseTOTPStep(ctx context.Context, agentID, step int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, "UPDATE agents SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2", agentID, step)
	if err != nil {
		return false, fmt.Errorf("use code of agent %d: %w", agentID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EnableTOTP turns two-factor sign-in on for an agent whose secret is set,
// with new recovery codes (their hashes) in place of any old ones.
func (s *Store) EnableTOTP(ctx context.Context, agentID int64, recoveryHashes []string) error {
	return s.Tx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, "UPDATE agents SET totp_enabled = TRUE WHERE id = $1 AND totp_secret <> ''", agentID)
		if err != nil {
			return fmt.Errorf("enable two-factor sign-in of agent %d: %w", agentID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("authenticator of agent %d", agentID)); err != nil {
			return err
		}
		return tx.replaceRecoveryCodes(ctx, agentID, recoveryHashes)
	})
}

func (s *Store) replaceRecoveryCodes(ctx context.Context, agentID int64, hashes []string) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM recovery_codes WHERE agent_id = $1", agentID); err != nil {
		return fmt.Errorf("recovery codes of agent %d: %w", agentID, err)
	}
	for _, h := range hashes {
		if _, err := s.q.ExecContext(ctx, "INSERT INTO recovery_codes (agent_id, code_hash) VALUES ($1, $2)", agentID, h); err != nil {
			return fmt.Errorf("recovery codes of agent %d: %w", agentID, err)
		}
	}
	return nil
}

// DisableTOTP turns two-factor sign-in off for an agent and forgets the
// secret and the recovery codes.
func (s *Store) DisableTOTP(ctx context.Context, agentID int64) error {
	return s.Tx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, "UPDATE agents SET totp_secret = '', totp_enabled = FALSE, totp_last_step = 0 WHERE id = $1", agentID)
		if err != nil {
			return fmt.Errorf("disable two-factor sign-in of agent %d: %w", agentID, err)
		}
		if err := mustAffect(res, fmt.Sprintf("agent %d", agentID)); err != nil {
			return err
		}
		return tx.replaceRecoveryCodes(ctx, agentID, nil)
	})
}

// UseRecoveryCode marks the recovery code with hash used at at, and
// reports false when the agent has no such unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, agentID int64, hash string, at int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, "UPDATE recovery_codes SET used_at = $3 WHERE agent_id = $1 AND code_hash = $2 AND used_at = 0", agentID, hash, at)
	if err != nil {
		return false, fmt.Errorf("use recovery code of agent %d: %w", agentID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts an agent's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, agentID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE agent_id = $1 AND used_at = 0", agentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("recovery codes of agent %d: %w", agentID, err)
	}
	return n, nil
}

// CreateChallenge stores the token (by hash) of a sign-in whose password
// was right and whose second factor is still to come.
func (s *Store) CreateChallenge(ctx context.Context, tokenHash string, agentID, now, expiresAt int64) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM sign_in_challenges WHERE expires_at <= $1", now); err != nil {
		return fmt.Errorf("prune sign-in challenges: %w", err)
	}
	_, err := s.q.ExecContext(ctx, "INSERT INTO sign_in_challenges (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
		tokenHash, agentID, now, expiresAt)
	if err != nil {
		return fmt.Errorf("create sign-in challenge: %w", err)
	}
	return nil
}

// ChallengeAgent returns the agent of an unexpired sign-in challenge.
func (s *Store) ChallengeAgent(ctx context.Context, tokenHash string, now int64) (int64, error) {
	var id int64
	err := s.q.QueryRowContext(ctx, "SELECT agent_id FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > $2", tokenHash, now).Scan(&id)
	if err != nil {
		return 0, notFound("sign-in challenge", err)
	}
	return id, nil
}

// DeleteChallenge ends a sign-in challenge and reports whether it was
// there, so that of two requests answering it only one signs in.
func (s *Store) DeleteChallenge(ctx context.Context, tokenHash string) (bool, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM sign_in_challenges WHERE token_hash = $1", tokenHash)
	if err != nil {
		return false, fmt.Errorf("delete sign-in challenge: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Setting returns the JSON value of a desk-wide setting, "" when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.rq.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores the JSON value of a desk-wide setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, Now())
	if err != nil {
		return fmt.Errorf("save setting %s: %w", key, err)
	}
	return nil
}
