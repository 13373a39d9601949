package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"loket.dev/loket/internal/domain"
)

const channelColumns = "id, kind, name, settings, secrets, team_id, enabled, status, status_at, last_inbound_at, created_at, updated_at, retention_days, " +
	"approval, approvers, tone_guide_url"

func (s *Store) scanChannel(row interface{ Scan(...any) error }) (*domain.Channel, error) {
	var c domain.Channel
	var settings, sealed string
	var team nullInt
	var approvers string
	if err := row.Scan(&c.ID, &c.Kind, &c.Name, &settings, &sealed, &team, &c.Enabled, &c.Status, &c.StatusAt, &c.LastInboundAt, &c.CreatedAt, &c.UpdatedAt, &c.RetentionDays,
		&c.Approval, &approvers, &c.ToneGuideURL); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(approvers), &c.Approvers); err != nil {
		return nil, fmt.Errorf("approvers of channel %d: %w", c.ID, err)
	}
	if c.Approvers == nil {
		c.Approvers = []int64{}
	}
	c.Settings = json.RawMessage(settings)
	c.TeamID = team.Int64
	c.Secrets = map[string]string{}
	if sealed != "" {
		if s.box == nil {
			return nil, fmt.Errorf("channel %d: secrets are sealed but no key is loaded", c.ID)
		}
		plain, err := s.box.Open(sealed)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", c.ID, err)
		}
		if err := json.Unmarshal(plain, &c.Secrets); err != nil {
			return nil, fmt.Errorf("channel %d secrets: %w", c.ID, err)
		}
	}
	return &c, nil
}

func (s *Store) sealSecrets(secrets map[string]string) (string, error) {
	if len(secrets) == 0 {
		return "", nil
	}
	if s.box == nil {
		return "", fmt.Errorf("cannot store channel secrets: no key loaded")
	}
	b, err := json.Marshal(secrets)
	if err != nil {
		return "", err
	}
	return s.box.Seal(b), nil
}

// CreateChannel stores a channel; its secrets are sealed and the inbound
// token is kept only as a hash.
func (s *Store) CreateChannel(ctx context.Context, c *domain.Channel, inboundTokenHash string) error {
	sealed, err := s.sealSecrets(c.Secrets)
	if err != nil {
		return fmt.Errorf("create channel %s: %w", c.Name, err)
	}
	if len(c.Settings) == 0 {
		c.Settings = json.RawMessage("{}")
	}
	if c.Approvers == nil {
		c.Approvers = []int64{}
	}
	now := Now()
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO channels (kind, name, settings, secrets, inbound_token_hash, team_id, enabled, retention_days, created_at, updated_at,
		 approval, approvers, tone_guide_url)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8, $8, $10, $11, $12) RETURNING id`,
		c.Kind, c.Name, string(c.Settings), sealed, inboundTokenHash, nullID(c.TeamID), c.Enabled, now, c.RetentionDays,
		c.Approval, encodeIDs(c.Approvers), c.ToneGuideURL).Scan(&c.ID)
	if err != nil {
		if isForeignKey(err) {
			return domain.Invalid("unknown_team", fmt.Sprintf("team %d does not exist", c.TeamID))
		}
		return fmt.Errorf("create channel %s: %w", c.Name, err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// UpdateChannel saves name, settings, secrets, team, enabled, retention
// and the approval of public replies.
func (s *Store) UpdateChannel(ctx context.Context, c *domain.Channel) error {
	sealed, err := s.sealSecrets(c.Secrets)
	if err != nil {
		return fmt.Errorf("update channel %d: %w", c.ID, err)
	}
	c.UpdatedAt = Now()
	res, err := s.q.ExecContext(ctx,
		`UPDATE channels SET name = $2, settings = $3, secrets = $4, team_id = $5, enabled = $6, updated_at = $7, retention_days = $8,
		 approval = $9, approvers = $10, tone_guide_url = $11 WHERE id = $1`,
		c.ID, c.Name, string(c.Settings), sealed, nullID(c.TeamID), c.Enabled, c.UpdatedAt, c.RetentionDays,
		c.Approval, encodeIDs(c.Approvers), c.ToneGuideURL)
	if err != nil {
		if isForeignKey(err) {
			return domain.Invalid("unknown_team", fmt.Sprintf("team %d does not exist", c.TeamID))
		}
		return fmt.Errorf("update channel %d: %w", c.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("channel %d", c.ID))
}

// SetChannelInboundToken replaces a channel's inbound token hash.
func (s *Store) SetChannelInboundToken(ctx context.Context, id int64, tokenHash string) error {
	res, err := s.q.ExecContext(ctx, "UPDATE channels SET inbound_token_hash = $2, updated_at = $3 WHERE id = $1", id, tokenHash, Now())
	if err != nil {
		return fmt.Errorf("rotate token of channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("channel %d", id))
}

// SetChannelStatus records a connector's health: empty when all is well,
// otherwise what is wrong, such as "imap: login failed".
func (s *Store) SetChannelStatus(ctx context.Context, id int64, status string) error {
	_, err := s.q.ExecContext(ctx, "UPDATE channels SET status = $2, status_at = $3 WHERE id = $1", id, status, Now())
	if err != nil {
		return fmt.Errorf("set status of channel %d: %w", id, err)
	}
	return nil
}

// ClearChannelStatus empties a channel's health report when it was made by
// source (its "source: " prefix), so that one part working again does not
// hide another part's trouble.
func (s *Store) ClearChannelStatus(ctx context.Context, id int64, source string) error {
	_, err := s.q.ExecContext(ctx, "UPDATE channels SET status = '', status_at = $3 WHERE id = $1 AND status LIKE $2", id, source+": %", Now())
	if err != nil {
		return fmt.Errorf("clear status of channel %d: %w", id, err)
	}
	return nil
}

// SetChannelStatusUnlessOther records status from source only when the
// channel reports nothing or something from that same source.
func (s *Store) SetChannelStatusUnlessOther(ctx context.Context, id int64, source, status string) error {
	_, err := s.q.ExecContext(ctx, "UPDATE channels SET status = $2, status_at = $3 WHERE id = $1 AND (status = '' OR status LIKE $4)",
		id, status, Now(), source+": %")
	if err != nil {
		return fmt.Errorf("set status of channel %d: %w", id, err)
	}
	return nil
}

// SetChannelInbound records when a channel last received a customer's
// message.
func (s *Store) SetChannelInbound(ctx context.Context, id, at int64) error {
	_, err := s.q.ExecContext(ctx, "UPDATE channels SET last_inbound_at = $2 WHERE id = $1 AND last_inbound_at < $2", id, at)
	if err != nil {
		return fmt.Errorf("set last inbound of channel %d: %w", id, err)
	}
	return nil
}

// Channel returns one channel with its secrets opened.
func (s *Store) Channel(ctx context.Context, id int64) (*domain.Channel, error) {
	c, err := s.scanChannel(s.rq.QueryRowContext(ctx, "SELECT "+channelColumns+" FROM channels WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("channel %d", id), err)
	}
	return c, nil
}

// ChannelByInboundToken finds the channel an inbound token belongs to.
func (s *Store) ChannelByInboundToken(ctx context.Context, tokenHash string) (*domain.Channel, error) {
	c, err := s.scanChannel(s.rq.QueryRowContext(ctx, "SELECT "+channelColumns+" FROM channels WHERE inbound_token_hash = $1", tokenHash))
	if err != nil {
		return nil, notFound("channel by token", err)
	}
	return c, nil
}

// Channels lists every channel, or those of one kind when kind is set.
func (s *Store) Channels(ctx context.Context, kind string) ([]*domain.Channel, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+channelColumns+" FROM channels WHERE $1 = '' OR kind = $1 ORDER BY name, id", kind)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	var out []*domain.Channel
	for rows.Next() {
		c, err := s.scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Audit records an admin action.
func (s *Store) Audit(ctx context.Context, actor, action, target, detail string) error {
	_, err := s.q.ExecContext(ctx, "INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
		actor, action, target, detail, Now())
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditEntry is one recorded admin action.
type AuditEntry struct {
	ID        int64  `json:"id"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Detail    string `json:"detail"`
	CreatedAt int64  `json:"created_at"`
}

// AuditLog lists recorded admin actions, newest first, before an id (0:
// from the newest), whose action starts with prefix.
func (s *Store) AuditLog(ctx context.Context, before int64, prefix string, limit int) ([]*AuditEntry, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.rq.QueryContext(ctx,
		`SELECT id, actor, action, target, detail, created_at FROM audit_log
		 WHERE id < $1 AND substr(action, 1, length($2)) = $2 ORDER BY id DESC LIMIT $3`, before, prefix, limit)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (*AuditEntry, error) {
		var e AuditEntry
		return &e, row.Scan(&e.ID, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	return out, nil
}

// encodeIDs stores a list of ids as a JSON array.
func encodeIDs(ids []int64) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

// ChannelCursor returns where a polled channel has read up to; "" when it
// never polled.
func (s *Store) ChannelCursor(ctx context.Context, channelID int64) (string, error) {
	var cursor string
	err := s.rq.QueryRowContext(ctx, "SELECT cursor FROM channel_cursors WHERE channel_id = $1", channelID).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cursor of channel %d: %w", channelID, err)
	}
	return cursor, nil
}

// SetChannelCursor records where a polled channel has read up to.
func (s *Store) SetChannelCursor(ctx context.Context, channelID int64, cursor string) error {
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO channel_cursors (channel_id, cursor, updated_at) VALUES ($1, $2, $3)
		 ON CONFLICT (channel_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`, channelID, cursor, Now())
	if err != nil {
		return fmt.Errorf("set cursor of channel %d: %w", channelID, err)
	}
	return nil
}
