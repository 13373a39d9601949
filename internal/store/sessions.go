package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// Session is one signed-in browser of an agent, as the agent sees it: by
// its public id, never by its token.
type Session struct {
	ID        string `json:"id"`
	AgentID   int64  `json:"agent_id"`
	CreatedAt int64  `json:"created_at"`
	SeenAt    int64  `json:"seen_at"` // last request, to the minute
	ExpiresAt int64  `json:"expires_at"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	// Current marks the session the list was asked from.
	Current bool `json:"current"`
}

// NewSession describes a session to store.
type NewSession struct {
	TokenHash string
	AgentID   int64
	ExpiresAt int64
	IP        string
	UserAgent string
}

// CreateSession stores a session by the hash of its token and returns its
// public id.
func (s *Store) CreateSession(ctx context.Context, n NewSession) (string, error) {
	b := make([]byte, 12)
	rand.Read(b)
	id := hex.EncodeToString(b)
	now := Now()
	if len(n.UserAgent) > 300 {
		n.UserAgent = n.UserAgent[:300]
	}
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, agent_id, created_at, expires_at, id, seen_at, ip, user_agent)
		 VALUES ($1, $2, $3, $4, $5, $3, $6, $7)`,
		n.TokenHash, n.AgentID, now, n.ExpiresAt, id, n.IP, n.UserAgent)
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// SessionAgent returns the agent of an unexpired session, with the session.
func (s *Store) SessionAgent(ctx context.Context, tokenHash string) (*domain.Agent, *Session, error) {
	var ses Session
	err := s.rq.QueryRowContext(ctx,
		"SELECT id, agent_id, created_at, seen_at, expires_at, ip, user_agent FROM sessions WHERE token_hash = $1 AND expires_at > $2", tokenHash, Now()).
		Scan(&ses.ID, &ses.AgentID, &ses.CreatedAt, &ses.SeenAt, &ses.ExpiresAt, &ses.IP, &ses.UserAgent)
	if err != nil {
		return nil, nil, notFound("session", err)
	}
	a, err := s.Agent(ctx, ses.AgentID)
	return a, &ses, err
}

// TouchSession records that a session was used at at, from ip.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at int64, ip string) error {
	if _, err := s.q.ExecContext(ctx, "UPDATE sessions SET seen_at = $2, ip = $3 WHERE token_hash = $1", tokenHash, at, ip); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// Sessions lists the unexpired sessions of an agent, the most recently
// used first.
func (s *Store) Sessions(ctx context.Context, agentID int64) ([]*Session, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT id, agent_id, created_at, seen_at, expires_at, ip, user_agent FROM sessions
		 WHERE agent_id = $1 AND expires_at > $2 ORDER BY seen_at DESC, created_at DESC`, agentID, Now())
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (*Session, error) {
		var ses Session
		return &ses, row.Scan(&ses.ID, &ses.AgentID, &ses.CreatedAt, &ses.SeenAt, &ses.ExpiresAt, &ses.IP, &ses.UserAgent)
	})
	if err != nil {
		return nil, fmt.Errorf("sessions of agent %d: %w", agentID, err)
	}
	return out, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteAgentSession ends the session with public id of an agent.
func (s *Store) DeleteAgentSession(ctx context.Context, agentID int64, id string) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM sessions WHERE agent_id = $1 AND id = $2", agentID, id)
	if err != nil {
		return fmt.Errorf("delete session %s: %w", id, err)
	}
	return mustAffect(res, "session "+id)
}

// DeleteAgentSessions ends every session of an agent except keep (a token
// hash) and returns how many it ended.
func (s *Store) DeleteAgentSessions(ctx context.Context, agentID int64, keep string) (int64, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM sessions WHERE agent_id = $1 AND token_hash <> $2", agentID, keep)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of agent %d: %w", agentID, err)
	}
	return res.RowsAffected()
}
