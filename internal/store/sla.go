package store

import (
	"context"
	"encoding/json"
	"fmt"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
)

// Calendar is a stored business-hours calendar.
type Calendar struct {
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	Config    sla.CalendarConfig `json:"config"`
	CreatedAt int64              `json:"created_at"`
	UpdatedAt int64              `json:"updated_at"`
}

// SaveCalendar creates (ID 0) or updates a calendar.
func (s *Store) SaveCalendar(ctx context.Context, c *Calendar) error {
	cfg, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	now := Now()
	c.UpdatedAt = now
	if c.ID == 0 {
		c.CreatedAt = now
		err = s.q.QueryRowContext(ctx, "INSERT INTO calendars (name, config, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
			c.Name, string(cfg), now).Scan(&c.ID)
	} else {
		err = s.q.QueryRowContext(ctx, "UPDATE calendars SET name = $2, config = $3, updated_at = $4 WHERE id = $1 RETURNING created_at",
			c.ID, c.Name, string(cfg), now).Scan(&c.CreatedAt)
	}
	if isUnique(err) {
		return domain.Invalid("name_taken", fmt.Sprintf("a calendar named %q already exists", c.Name))
	}
	if err != nil {
		return notFound(fmt.Sprintf("save calendar %d", c.ID), err)
	}
	return nil
}

// Calendars lists every calendar.
func (s *Store) Calendars(ctx context.Context) ([]*Calendar, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT id, name, config, created_at, updated_at FROM calendars ORDER BY name, id")
	if err != nil {
		return nil, fmt.Errorf("list calendars: %w", err)
	}
	defer rows.Close()
	out := []*Calendar{}
	for rows.Next() {
		var c Calendar
		var cfg string
		if err := rows.Scan(&c.ID, &c.Name, &cfg, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list calendars: %w", err)
		}
		if err := json.Unmarshal([]byte(cfg), &c.Config); err != nil {
			return nil, fmt.Errorf("calendar %d: %w", c.ID, err)
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// SavePolicy creates (ID 0) or updates an SLA policy.
func (s *Store) SavePolicy(ctx context.Context, p *sla.Policy) error {
	cond, _ := json.Marshal(p.Conditions)
	targets, _ := json.Marshal(p.Targets)
	now := Now()
	var err error
	if p.ID == 0 {
		err = s.q.QueryRowContext(ctx,
			`INSERT INTO sla_policies (name, position, enabled, conditions, targets, calendar_id, warn_percent, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			p.Name, p.Position, p.Enabled, string(cond), string(targets), nullID(p.CalendarID), p.WarnPercent, now).Scan(&p.ID)
	} else {
		err = s.q.QueryRowContext(ctx,
			`UPDATE sla_policies SET name = $2, position = $3, enabled = $4, conditions = $5, targets = $6, calendar_id = $7,
			 warn_percent = $8, updated_at = $9 WHERE id = $1 RETURNING id`,
			p.ID, p.Name, p.Position, p.Enabled, string(cond), string(targets), nullID(p.CalendarID), p.WarnPercent, now).Scan(&p.ID)
	}
	switch {
	case isUnique(err):
		return domain.Invalid("name_taken", fmt.Sprintf("an SLA policy named %q already exists", p.Name))
	case isForeignKey(err):
		return domain.Invalid("unknown_calendar", fmt.Sprintf("calendar %d does not exist", p.CalendarID))
	case err != nil:
		return notFound(fmt.Sprintf("save sla policy %d", p.ID), err)
	}
	return nil
}

// Policies lists every SLA policy in the order they are tried.
func (s *Store) Policies(ctx context.Context) ([]*sla.Policy, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, name, position, enabled, conditions, targets, calendar_id, warn_percent
		FROM sla_policies ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list sla policies: %w", err)
	}
	defer rows.Close()
	out := []*sla.Policy{}
	for rows.Next() {
		var p sla.Policy
		var cond, targets string
		var cal nullInt
		if err := rows.Scan(&p.ID, &p.Name, &p.Position, &p.Enabled, &cond, &targets, &cal, &p.WarnPercent); err != nil {
			return nil, fmt.Errorf("list sla policies: %w", err)
		}
		p.CalendarID = cal.Int64
		if err := json.Unmarshal([]byte(cond), &p.Conditions); err != nil {
			return nil, fmt.Errorf("sla policy %d: %w", p.ID, err)
		}
		if err := json.Unmarshal([]byte(targets), &p.Targets); err != nil {
			return nil, fmt.Errorf("sla policy %d: %w", p.ID, err)
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}

// DueSLAChecks returns up to limit tickets whose SLA needs a look (a
// warning or breach moment has come), skipping rows other nodes hold.
func (s *Store) DueSLAChecks(ctx context.Context, now int64, limit int) ([]int64, error) {
	return s.int64sQ(ctx, s.q, "SELECT id FROM tickets WHERE sla_next_check > 0 AND sla_next_check <= $1 ORDER BY sla_next_check LIMIT $2"+s.skipLocked(), now, limit)
}
