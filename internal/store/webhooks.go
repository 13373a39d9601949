package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"loket.dev/loket/internal/domain"
)

const webhookColumns = "id, url, secret, events, active, disabled_reason, failures, created_at, updated_at"

func (s *Store) scanWebhook(row interface{ Scan(...any) error }) (*domain.Webhook, error) {
	var w domain.Webhook
	var sealed, events string
	if err := row.Scan(&w.ID, &w.URL, &sealed, &events, &w.Active, &w.DisabledReason, &w.Failures, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %d events: %w", w.ID, err)
	}
	if s.box == nil {
		return nil, fmt.Errorf("webhook %d: its secret is sealed but no key is loaded", w.ID)
	}
	plain, err := s.box.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	w.Secret = string(plain)
	return &w, nil
}

func (s *Store) sealWebhook(w *domain.Webhook) (sealed, events string, err error) {
	if s.box == nil {
		return "", "", errors.New("cannot store a webhook secret: no key loaded")
	}
	if w.Secret == "" {
		return "", "", errors.New("a webhook needs a secret")
	}
	b, err := json.Marshal(w.Events)
	if err != nil {
		return "", "", err
	}
	return s.box.Seal([]byte(w.Secret)), string(b), nil
}

// CreateWebhook stores a webhook with its secret sealed.
func (s *Store) CreateWebhook(ctx context.Context, w *domain.Webhook) error {
	sealed, events, err := s.sealWebhook(w)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	now := Now()
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO webhooks (url, secret, events, active, disabled_reason, failures, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
		w.URL, sealed, events, w.Active, w.DisabledReason, w.Failures, now).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	w.CreatedAt, w.UpdatedAt = now, now
	return nil
}

// UpdateWebhook saves a webhook's URL, events, state and failure count.
// The secret stays as it was stored.
func (s *Store) UpdateWebhook(ctx context.Context, w *domain.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("update webhook %d: %w", w.ID, err)
	}
	w.UpdatedAt = Now()
	res, err := s.q.ExecContext(ctx,
		`UPDATE webhooks SET url = $2, events = $3, active = $4, disabled_reason = $5, failures = $6, updated_at = $7 WHERE id = $1`,
		w.ID, w.URL, string(events), w.Active, w.DisabledReason, w.Failures, w.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update webhook %d: %w", w.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("webhook %d", w.ID))
}

// DeleteWebhook removes a webhook and its delivery log.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM webhooks WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("webhook %d", id))
}

// Webhook returns one webhook with its secret opened.
func (s *Store) Webhook(ctx context.Context, id int64) (*domain.Webhook, error) {
	w, err := s.scanWebhook(s.rq.QueryRowContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("webhook %d", id), err)
	}
	return w, nil
}

// Webhooks lists every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]*domain.Webhook, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+webhookColumns+" FROM webhooks ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []*domain.Webhook
	for rows.Next() {
		w, err := s.scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// WebhookDelivered records that a webhook took a delivery: its count of
// failures in a row starts again.
func (s *Store) WebhookDelivered(ctx context.Context, id int64) error {
	_, err := s.q.ExecContext(ctx, "UPDATE webhooks SET failures = 0 WHERE id = $1 AND failures <> 0", id)
	if err != nil {
		return fmt.Errorf("reset failures of webhook %d: %w", id, err)
	}
	return nil
}

// WebhookFailed counts a delivery that failed after all its attempts and,
// once limit deliveries in a row have failed, turns the webhook off with
// reason. It reports whether this call turned it off, so that admins are
// told once.
func (s *Store) WebhookFailed(ctx context.Context, id int64, limit int, reason string) (disabled bool, err error) {
	err = s.Tx(ctx, func(tx *Store) error {
		now := Now()
		if _, err := tx.q.ExecContext(ctx, "UPDATE webhooks SET failures = failures + 1 WHERE id = $1", id); err != nil {
			return err
		}
		res, err := tx.q.ExecContext(ctx,
			"UPDATE webhooks SET active = FALSE, disabled_reason = $2, updated_at = $3 WHERE id = $1 AND active AND failures >= $4",
			id, reason, now, limit)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		disabled = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("count a failure of webhook %d: %w", id, err)
	}
	return disabled, nil
}

const deliveryColumns = `id, webhook_id, trigger_id, redelivery_of, event_type, payload, state, attempts,
	response_status, response_body, error, created_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (*domain.WebhookDelivery, error) {
	var d domain.WebhookDelivery
	var payload string
	err := row.Scan(&d.ID, &d.WebhookID, &d.TriggerID, &d.RedeliveryOf, &d.EventType, &payload, &d.State, &d.Attempts,
		&d.ResponseStatus, &d.ResponseBody, &d.Error, &d.CreatedAt, &d.DeliveredAt)
	if err != nil {
		return nil, err
	}
	d.Payload = json.RawMessage(payload)
	return &d, nil
}

// AddWebhookDelivery stores a pending delivery. A first delivery
// (RedeliveryOf 0) of a trigger that this webhook already has is not
// stored again: added is false and d.ID stays 0.
func (s *Store) AddWebhookDelivery(ctx context.Context, d *domain.WebhookDelivery) (added bool, err error) {
	now := Now()
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO webhook_deliveries (webhook_id, trigger_id, redelivery_of, event_type, payload, state, created_at)
		 VALUES ($1, $2, $3, $4, $5, 'pending', $6)
		 ON CONFLICT (webhook_id, trigger_id) WHERE redelivery_of = 0 DO NOTHING RETURNING id`,
		d.WebhookID, d.TriggerID, d.RedeliveryOf, d.EventType, string(d.Payload), now).Scan(&d.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		if isForeignKey(err) {
			return false, notFound(fmt.Sprintf("webhook %d", d.WebhookID), sql.ErrNoRows)
		}
		return false, fmt.Errorf("add delivery to webhook %d: %w", d.WebhookID, err)
	}
	d.State, d.CreatedAt = domain.WebhookDeliveryPending, now
	return true, nil
}

// WebhookDelivery returns one delivery.
func (s *Store) WebhookDelivery(ctx context.Context, id int64) (*domain.WebhookDelivery, error) {
	d, err := scanDelivery(s.rq.QueryRowContext(ctx, "SELECT "+deliveryColumns+" FROM webhook_deliveries WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("webhook delivery %d", id), err)
	}
	return d, nil
}

// WebhookDeliveries lists a webhook's deliveries, newest first: at most
// limit of them, older than the delivery before when before is set.
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID, before int64, limit int) ([]*domain.WebhookDelivery, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+deliveryColumns+` FROM webhook_deliveries
		WHERE webhook_id = $1 AND (CAST($2 AS BIGINT) = 0 OR id < CAST($2 AS BIGINT)) ORDER BY id DESC LIMIT $3`, webhookID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %d: %w", webhookID, err)
	}
	defer rows.Close()
	out := []*domain.WebhookDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries of webhook %d: %w", webhookID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %d: %w", webhookID, err)
	}
	return out, nil
}

// WebhookAttempt is the outcome of one attempt at a delivery.
type WebhookAttempt struct {
	State  string // the delivery's state after it
	Status int    // the HTTP status answered; 0 when none came
	Body   string // the start of the answer
	Error  string // what went wrong; empty on success
}

// RecordWebhookAttempt counts an attempt at a pending delivery and keeps
// its outcome. It reports false when the delivery was no longer pending
// (another attempt finished it), in which case nothing changes.
func (s *Store) RecordWebhookAttempt(ctx context.Context, id int64, a WebhookAttempt) (bool, error) {
	now := Now()
	res, err := s.q.ExecContext(ctx,
		`UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, response_status = $3, response_body = $4, error = $5,
		 delivered_at = CASE WHEN CAST($2 AS TEXT) = 'delivered' THEN CAST($6 AS BIGINT) ELSE delivered_at END
		 WHERE id = $1 AND state = 'pending'`,
		id, a.State, a.Status, domain.CleanText(a.Body), domain.CleanText(a.Error), now)
	if err != nil {
		return false, fmt.Errorf("record attempt at webhook delivery %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record attempt at webhook delivery %d: %w", id, err)
	}
	return n == 1, nil
}

// CloseWebhookDelivery fails a pending delivery without an attempt, for
// example because its webhook was turned off.
func (s *Store) CloseWebhookDelivery(ctx context.Context, id int64, reason string) error {
	_, err := s.q.ExecContext(ctx, "UPDATE webhook_deliveries SET state = 'failed', error = $2 WHERE id = $1 AND state = 'pending'", id, reason)
	if err != nil {
		return fmt.Errorf("close webhook delivery %d: %w", id, err)
	}
	return nil
}

// PruneWebhookDeliveries deletes finished deliveries created before the
// given time (Unix ms), so that the log keeps a window rather than all
// history. It returns how many it deleted.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before int64) (int64, error) {
	res, err := s.q.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}
