package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"loket.dev/loket/internal/domain"
)

// Rule is an automation rule as stored: its conditions and actions are
// JSON that package automation reads.
type Rule struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Trigger     string          `json:"trigger"`
	EventName   string          `json:"event_name"`
	Enabled     bool            `json:"enabled"`
	Version     int             `json:"version"`
	Position    int             `json:"position"`
	Conditions  json.RawMessage `json:"conditions"`
	Actions     json.RawMessage `json:"actions"`
	Builtin     string          `json:"builtin"`
	CreatedAt   int64           `json:"created_at"`
	UpdatedAt   int64           `json:"updated_at"`
	UpdatedBy   string          `json:"updated_by"`
}

const ruleColumns = `id, name, description, trigger_type, event_name, enabled, version, position, conditions, actions, builtin, created_at, updated_at, updated_by`

func scanRule(row interface{ Scan(...any) error }) (*Rule, error) {
	var r Rule
	var cond, acts string
	if err := row.Scan(&r.ID, &r.Name, &r.Description, &r.Trigger, &r.EventName, &r.Enabled, &r.Version, &r.Position,
		&cond, &acts, &r.Builtin, &r.CreatedAt, &r.UpdatedAt, &r.UpdatedBy); err != nil {
		return nil, err
	}
	r.Conditions, r.Actions = json.RawMessage(cond), json.RawMessage(acts)
	return &r, nil
}

// Rules lists every rule in the order they run: by position, then id.
func (s *Store) Rules(ctx context.Context) ([]*Rule, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+ruleColumns+" FROM rules ORDER BY position, id")
	out, err := scanAll(rows, err, scanRule)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return out, nil
}

// Rule returns one rule.
func (s *Store) Rule(ctx context.Context, id int64) (*Rule, error) {
	r, err := scanRule(s.rq.QueryRowContext(ctx, "SELECT "+ruleColumns+" FROM rules WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("rule %d", id), err)
	}
	return r, nil
}

// SaveRule creates a rule (ID 0) or saves a new version of it, and keeps
// the version in rule_versions.
func (s *Store) SaveRule(ctx context.Context, r *Rule) error {
	return s.Tx(ctx, func(tx *Store) error {
		now := Now()
		r.UpdatedAt = now
		if r.ID == 0 {
			r.Version, r.CreatedAt = 1, now
			err := tx.q.QueryRowContext(ctx,
				`INSERT INTO rules (name, description, trigger_type, event_name, enabled, version, position, conditions, actions, builtin, created_at, updated_at, updated_by)
				 VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $10, $11) RETURNING id`,
				r.Name, r.Description, r.Trigger, r.EventName, r.Enabled, r.Position, string(r.Conditions), string(r.Actions), r.Builtin, now, r.UpdatedBy).Scan(&r.ID)
			if err != nil {
				return fmt.Errorf("create rule %q: %w", r.Name, err)
			}
		} else {
			err := tx.q.QueryRowContext(ctx,
				`UPDATE rules SET name = $2, description = $3, trigger_type = $4, event_name = $5, enabled = $6, version = version + 1,
				 position = $7, conditions = $8, actions = $9, updated_at = $10, updated_by = $11 WHERE id = $1 RETURNING version, created_at, builtin`,
				r.ID, r.Name, r.Description, r.Trigger, r.EventName, r.Enabled, r.Position, string(r.Conditions), string(r.Actions), now, r.UpdatedBy).
				Scan(&r.Version, &r.CreatedAt, &r.Builtin)
			if err != nil {
				return notFound(fmt.Sprintf("save rule %d", r.ID), err)
			}
		}
		_, err := tx.q.ExecContext(ctx,
			`INSERT INTO rule_versions (rule_id, version, name, description, trigger_type, event_name, enabled, conditions, actions, created_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.Version, r.Name, r.Description, r.Trigger, r.EventName, r.Enabled, string(r.Conditions), string(r.Actions), now, r.UpdatedBy)
		if err != nil {
			return fmt.Errorf("keep version %d of rule %d: %w", r.Version, r.ID, err)
		}
		return nil
	})
}

// DeleteRule deletes a rule and its versions; its runs stay on record.
func (s *Store) DeleteRule(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM rules WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete rule %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("rule %d", id))
}

// RuleVersion is one saved version of a rule.
type RuleVersion struct {
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Trigger     string          `json:"trigger"`
	EventName   string          `json:"event_name"`
	Enabled     bool            `json:"enabled"`
	Conditions  json.RawMessage `json:"conditions"`
	Actions     json.RawMessage `json:"actions"`
	CreatedAt   int64           `json:"created_at"`
	CreatedBy   string          `json:"created_by"`
}

const ruleVersionColumns = "version, name, description, trigger_type, event_name, enabled, conditions, actions, created_at, created_by"

func scanRuleVersion(row interface{ Scan(...any) error }) (*RuleVersion, error) {
	var v RuleVersion
	var cond, acts string
	err := row.Scan(&v.Version, &v.Name, &v.Description, &v.Trigger, &v.EventName, &v.Enabled, &cond, &acts, &v.CreatedAt, &v.CreatedBy)
	v.Conditions, v.Actions = json.RawMessage(cond), json.RawMessage(acts)
	return &v, err
}

// RuleVersions lists a rule's versions, newest first.
func (s *Store) RuleVersions(ctx context.Context, ruleID int64) ([]*RuleVersion, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+ruleVersionColumns+" FROM rule_versions WHERE rule_id = $1 ORDER BY version DESC", ruleID)
	out, err := scanAll(rows, err, scanRuleVersion)
	if err != nil {
		return nil, fmt.Errorf("versions of rule %d: %w", ruleID, err)
	}
	return out, nil
}

// RuleRun records that a rule acted.
type RuleRun struct {
	ID           int64    `json:"id"`
	RuleID       int64    `json:"rule_id"`
	Version      int      `json:"version"`
	Key          string   `json:"-"`
	Trigger      string   `json:"trigger"`
	TicketID     int64    `json:"ticket_id,omitempty"`
	TicketNumber int64    `json:"ticket_number,omitempty"`
	ContactID    int64    `json:"contact_id,omitempty"`
	Actions      []string `json:"actions"`
	Error        string   `json:"error"`
	CreatedAt    int64    `json:"created_at"`
	FinishedAt   int64    `json:"finished_at,omitempty"`
}

// StartRuleRun records a run before its actions, under a key that makes
// a second run on the same thing find the first: false means the rule
// started on it before, and r then holds that run's id.
func (s *Store) StartRuleRun(ctx context.Context, r *RuleRun) (bool, error) {
	r.CreatedAt = Now()
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO rule_runs (rule_id, version, run_key, trigger_type, ticket_id, contact_id, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_key) DO NOTHING RETURNING id`,
		r.RuleID, r.Version, r.Key, r.Trigger, r.TicketID, r.ContactID, r.CreatedAt).Scan(&r.ID)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.q.QueryRowContext(ctx, "SELECT id, created_at, finished_at FROM rule_runs WHERE run_key = $1", r.Key).Scan(&r.ID, &r.CreatedAt, &r.FinishedAt)
		if err != nil {
			return false, fmt.Errorf("run %s of rule %d: %w", r.Key, r.RuleID, err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record run of rule %d: %w", r.RuleID, err)
	}
	return true, nil
}

// FinishRuleRun saves what a run did, and the ticket it did it on (one
// an action opened, for a trigger without a ticket).
func (s *Store) FinishRuleRun(ctx context.Context, r *RuleRun) error {
	acts, err := json.Marshal(r.Actions)
	if err != nil {
		return err
	}
	r.FinishedAt = Now()
	if _, err := s.q.ExecContext(ctx, "UPDATE rule_runs SET actions = $2, error = $3, finished_at = $4, ticket_id = $5 WHERE id = $1",
		r.ID, string(acts), r.Error, r.FinishedAt, r.TicketID); err != nil {
		return fmt.Errorf("finish run %d of rule %d: %w", r.ID, r.RuleID, err)
	}
	return nil
}

// RuleRuns lists a rule's newest runs.
func (s *Store) RuleRuns(ctx context.Context, ruleID int64, limit int) ([]*RuleRun, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT r.id, r.rule_id, r.version, r.trigger_type, r.ticket_id, COALESCE(t.number, 0), r.contact_id, r.actions, r.error, r.created_at, r.finished_at
		 FROM rule_runs r LEFT JOIN tickets t ON t.id = r.ticket_id WHERE r.rule_id = $1 ORDER BY r.id DESC LIMIT $2`, ruleID, limit)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (*RuleRun, error) {
		var r RuleRun
		var acts string
		if err := row.Scan(&r.ID, &r.RuleID, &r.Version, &r.Trigger, &r.TicketID, &r.TicketNumber, &r.ContactID, &acts, &r.Error, &r.CreatedAt, &r.FinishedAt); err != nil {
			return nil, err
		}
		return &r, json.Unmarshal([]byte(acts), &r.Actions)
	})
	if err != nil {
		return nil, fmt.Errorf("runs of rule %d: %w", ruleID, err)
	}
	return out, nil
}

// CountRuleRuns counts a rule's runs on a ticket since a time, for the
// per-ticket limit.
func (s *Store) CountRuleRuns(ctx context.Context, ruleID, ticketID, since int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, "SELECT COUNT(*) FROM rule_runs WHERE ticket_id = $1 AND rule_id = $2 AND created_at >= $3",
		ticketID, ruleID, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count runs of rule %d on ticket %d: %w", ruleID, ticketID, err)
	}
	return n, nil
}

// AddContactEvent stores an external event unless one from the same
// source, of the same name, with the same idempotency key exists; then it
// returns that one and false.
func (s *Store) AddContactEvent(ctx context.Context, e *domain.ContactEvent, key string) (bool, error) {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return false, err
	}
	if e.CreatedAt == 0 {
		e.CreatedAt = Now()
	}
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO contact_events (name, contact_id, data, idempotency_key, source, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (source, name, idempotency_key) WHERE idempotency_key <> '' DO NOTHING RETURNING id`,
		e.Name, e.ContactID, string(data), key, e.Source, e.CreatedAt).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		prev, err := scanContactEvent(s.q.QueryRowContext(ctx,
			"SELECT "+contactEventColumns+" FROM contact_events WHERE source = $1 AND name = $2 AND idempotency_key = $3", e.Source, e.Name, key))
		if err != nil {
			return false, fmt.Errorf("event with key %q: %w", key, err)
		}
		*e = *prev
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store event %s: %w", e.Name, err)
	}
	return true, nil
}

const contactEventColumns = "id, name, contact_id, data, source, created_at"

func scanContactEvent(row interface{ Scan(...any) error }) (*domain.ContactEvent, error) {
	var e domain.ContactEvent
	var data string
	if err := row.Scan(&e.ID, &e.Name, &e.ContactID, &data, &e.Source, &e.CreatedAt); err != nil {
		return nil, err
	}
	return &e, json.Unmarshal([]byte(data), &e.Data)
}

// ContactEvent returns one external event.
func (s *Store) ContactEvent(ctx context.Context, id int64) (*domain.ContactEvent, error) {
	e, err := scanContactEvent(s.rq.QueryRowContext(ctx, "SELECT "+contactEventColumns+" FROM contact_events WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("event %d", id), err)
	}
	return e, nil
}

// ContactEvents lists a contact's newest external events.
func (s *Store) ContactEvents(ctx context.Context, contactID int64, limit int) ([]*domain.ContactEvent, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+contactEventColumns+" FROM contact_events WHERE contact_id = $1 ORDER BY id DESC LIMIT $2", contactID, limit)
	out, err := scanAll(rows, err, scanContactEvent)
	if err != nil {
		return nil, fmt.Errorf("events of contact %d: %w", contactID, err)
	}
	return out, nil
}

// MessageTemplate is a text to send, per language, with variables.
type MessageTemplate struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Language  string `json:"language"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

const templateColumns = "id, name, language, subject, body, created_at, updated_at"

func scanTemplate(row interface{ Scan(...any) error }) (*MessageTemplate, error) {
	var t MessageTemplate
	return &t, row.Scan(&t.ID, &t.Name, &t.Language, &t.Subject, &t.Body, &t.CreatedAt, &t.UpdatedAt)
}

// MessageTemplates lists every template by name and language.
func (s *Store) MessageTemplates(ctx context.Context) ([]*MessageTemplate, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+templateColumns+" FROM message_templates ORDER BY name, language")
	out, err := scanAll(rows, err, scanTemplate)
	if err != nil {
		return nil, fmt.Errorf("list message templates: %w", err)
	}
	return out, nil
}

// MessageTemplate returns one template by id.
func (s *Store) MessageTemplate(ctx context.Context, id int64) (*MessageTemplate, error) {
	t, err := scanTemplate(s.rq.QueryRowContext(ctx, "SELECT "+templateColumns+" FROM message_templates WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("message template %d", id), err)
	}
	return t, nil
}

// TemplateVariants returns a template's texts by language.
func (s *Store) TemplateVariants(ctx context.Context, name string) ([]*MessageTemplate, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+templateColumns+" FROM message_templates WHERE name = $1 ORDER BY language", name)
	out, err := scanAll(rows, err, scanTemplate)
	if err != nil {
		return nil, fmt.Errorf("message template %q: %w", name, err)
	}
	return out, nil
}

// SaveMessageTemplate creates (ID 0) or updates a template. A second
// template of the same name and language is a unique violation.
func (s *Store) SaveMessageTemplate(ctx context.Context, t *MessageTemplate) error {
	now := Now()
	t.UpdatedAt = now
	if t.ID == 0 {
		t.CreatedAt = now
		err := s.q.QueryRowContext(ctx,
			`INSERT INTO message_templates (name, language, subject, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			t.Name, t.Language, t.Subject, t.Body, now).Scan(&t.ID)
		if err != nil {
			return fmt.Errorf("create message template %q: %w", t.Name, err)
		}
		return nil
	}
	err := s.q.QueryRowContext(ctx,
		`UPDATE message_templates SET name = $2, language = $3, subject = $4, body = $5, updated_at = $6 WHERE id = $1 RETURNING created_at`,
		t.ID, t.Name, t.Language, t.Subject, t.Body, now).Scan(&t.CreatedAt)
	if err != nil {
		return notFound(fmt.Sprintf("save message template %d", t.ID), err)
	}
	return nil
}

// DeleteMessageTemplate deletes a template.
func (s *Store) DeleteMessageTemplate(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM message_templates WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete message template %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("message template %d", id))
}

// ClaimActionKey records that the change keyed by key is made in this
// transaction, with ref (such as the ticket it made); false when it was
// made before.
func (s *Store) ClaimActionKey(ctx context.Context, key string, ref int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, "INSERT INTO action_keys (action_key, ref, created_at) VALUES ($1, $2, $3) ON CONFLICT (action_key) DO NOTHING",
		key, ref, Now())
	if err != nil {
		return false, fmt.Errorf("claim action key %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ActionKeyRef returns the ref recorded with a claimed key.
func (s *Store) ActionKeyRef(ctx context.Context, key string) (int64, error) {
	var ref int64
	err := s.q.QueryRowContext(ctx, "SELECT ref FROM action_keys WHERE action_key = $1", key).Scan(&ref)
	if err != nil {
		return 0, notFound("action key "+key, err)
	}
	return ref, nil
}

// LatestInbound returns the id of a ticket's newest customer message, 0
// when it has none.
func (s *Store) LatestInbound(ctx context.Context, ticketID int64) (int64, error) {
	var id int64
	err := s.rq.QueryRowContext(ctx,
		"SELECT id FROM messages WHERE ticket_id = $1 AND direction = 'in' AND kind = 'message' ORDER BY id DESC LIMIT 1", ticketID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("latest customer message of ticket %d: %w", ticketID, err)
	}
	return id, nil
}

// ScheduleCandidates lists the tickets scheduled rules look at: not
// closed and changed since a time, by id after afterID.
func (s *Store) ScheduleCandidates(ctx context.Context, since, afterID int64, limit int) ([]int64, error) {
	rows, err := s.rq.QueryContext(ctx,
		"SELECT id FROM tickets WHERE id > $1 AND updated_at >= $2 AND status <> 'closed' ORDER BY id LIMIT $3", afterID, since, limit)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, row.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("tickets for scheduled rules: %w", err)
	}
	return out, nil
}

// RuleRunByKey returns the run recorded under key, nil when none is.
func (s *Store) RuleRunByKey(ctx context.Context, key string) (*RuleRun, error) {
	r := RuleRun{Key: key}
	err := s.q.QueryRowContext(ctx, "SELECT id, rule_id, version, created_at, finished_at FROM rule_runs WHERE run_key = $1", key).
		Scan(&r.ID, &r.RuleID, &r.Version, &r.CreatedAt, &r.FinishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", key, err)
	}
	return &r, nil
}

// RuleVersion returns one saved version of a rule.
func (s *Store) RuleVersion(ctx context.Context, ruleID int64, version int) (*RuleVersion, error) {
	v, err := scanRuleVersion(s.rq.QueryRowContext(ctx, "SELECT "+ruleVersionColumns+" FROM rule_versions WHERE rule_id = $1 AND version = $2", ruleID, version))
	if err != nil {
		return nil, notFound(fmt.Sprintf("version %d of rule %d", version, ruleID), err)
	}
	return v, nil
}

// PruneActionKeys deletes the keys of changes made before a time (Unix
// ms); keep them well past the longest a task is retried.
func (s *Store) PruneActionKeys(ctx context.Context, before int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM action_keys WHERE created_at < $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune action keys: %w", err)
	}
	return res.RowsAffected()
}
