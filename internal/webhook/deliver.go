package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// maxResponse is how much of a receiver's answer the delivery log keeps.
const maxResponse = 2 << 10

// TaskKind is the kind of the tasks that deliver webhooks; register Handle
// for it on the task runner.
const TaskKind = "webhook"

// task is the payload of a delivery task.
type task struct {
	Delivery int64 `json:"delivery"`
}

// Handle is the task handler of TaskKind: one attempt at one delivery.
// An error makes the runner try again later with backoff, until the
// task's attempts are used up; the last one marks the delivery failed.
func (s *Service) Handle(ctx context.Context, job store.Job) error {
	var t task
	if err := json.Unmarshal(job.Payload, &t); err != nil || t.Delivery <= 0 {
		return tasks.Permanent(fmt.Errorf("webhook task %d: payload %q names no delivery", job.ID, job.Payload))
	}
	return s.attempt(ctx, t.Delivery, job.Attempts >= job.MaxAttempts)
}

// enqueue stores a pending delivery and the task that makes it, in tx, the
// caller's transaction. A first delivery of a trigger the webhook already
// has is neither stored nor sent again (added is false).
func enqueue(ctx context.Context, tx *store.Store, d *domain.WebhookDelivery) (added bool, err error) {
	if added, err = tx.AddWebhookDelivery(ctx, d); err != nil || !added {
		return false, err
	}
	key := fmt.Sprintf("webhook:%d:%d", d.WebhookID, d.TriggerID)
	if d.RedeliveryOf != 0 {
		key = fmt.Sprintf("webhook:redelivery:%d", d.ID)
	}
	payload, _ := json.Marshal(task{Delivery: d.ID})
	if _, _, err := tx.AddTask(ctx, store.Task{Kind: TaskKind, Key: key, Payload: payload, MaxAttempts: MaxAttempts}); err != nil {
		return false, err
	}
	return true, nil
}

// Redeliver sends a delivery's payload again as a new delivery, with its
// own log entry and a fresh signature. The webhook must be active. actor
// names the admin in the audit log.
func (s *Service) Redeliver(ctx context.Context, actor string, deliveryID int64) (*domain.WebhookDelivery, error) {
	var d *domain.WebhookDelivery
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		old, err := tx.WebhookDelivery(ctx, deliveryID)
		if err != nil {
			return err
		}
		w, err := tx.Webhook(ctx, old.WebhookID)
		if err != nil {
			return err
		}
		if !w.Active {
			return domain.Invalid("webhook_disabled", fmt.Sprintf("webhook %d is turned off; turn it on before sending deliveries again", w.ID))
		}
		d = &domain.WebhookDelivery{WebhookID: w.ID, TriggerID: old.TriggerID, RedeliveryOf: old.ID, EventType: old.EventType, Payload: old.Payload}
		if _, err := enqueue(ctx, tx, d); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "webhook.redeliver", fmt.Sprintf("webhook %d", w.ID), fmt.Sprintf("delivery %d as %d", old.ID, d.ID))
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return d, nil
}

// attempt makes one attempt at a delivery and records its outcome; last
// says no attempt follows. It returns an error when the attempt failed,
// nil when the delivery is done: delivered, or no longer wanted (its
// webhook was removed or turned off).
func (s *Service) attempt(ctx context.Context, deliveryID int64, last bool) error {
	d, err := s.store.WebhookDelivery(ctx, deliveryID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil // removed with its webhook
	}
	if err != nil {
		return err
	}
	if d.State != domain.WebhookDeliveryPending {
		return nil // finished by an earlier run of the same task
	}
	w, err := s.store.Webhook(ctx, d.WebhookID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !w.Active {
		return s.store.CloseWebhookDelivery(ctx, d.ID, "not sent: the webhook is turned off")
	}
	a := s.post(ctx, w, d)
	if a.Error == "" {
		a.State = domain.WebhookDeliveryDelivered
		return s.store.Tx(ctx, func(tx *store.Store) error {
			if _, err := tx.RecordWebhookAttempt(ctx, d.ID, a); err != nil {
				return err
			}
			return tx.WebhookDelivered(ctx, w.ID)
		})
	}
	a.State = domain.WebhookDeliveryPending
	if last {
		a.State = domain.WebhookDeliveryFailed
	}
	var disabled bool
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		recorded, err := tx.RecordWebhookAttempt(ctx, d.ID, a)
		if err != nil || !recorded || !last {
			return err
		}
		reason := fmt.Sprintf("turned off by Loket after %d deliveries in a row failed; the last: %s", DisableAfter, clip(a.Error, 300))
		if disabled, err = tx.WebhookFailed(ctx, w.ID, DisableAfter, reason); err != nil || !disabled {
			return err
		}
		w.Active, w.DisabledReason = false, reason
		return tx.Audit(ctx, "Loket", "webhook.disable", fmt.Sprintf("webhook %d", w.ID), reason)
	})
	if err != nil {
		return err
	}
	if disabled {
		s.log.Warn("webhook turned off after repeated failures", "webhook", w.ID, "url", w.URL)
		notice := *w
		notice.Secret = ""
		s.changed(domain.Event{Type: domain.EventWebhookDisabled, Webhook: &notice})
	}
	return fmt.Errorf("deliver %d to webhook %d: %s", d.ID, w.ID, a.Error)
}

// post sends a delivery, signed now, and returns what came back: the
// status and start of the answer, and an error text unless it was 2xx.
func (s *Service) post(ctx context.Context, w *domain.Webhook, d *domain.WebhookDelivery) store.WebhookAttempt {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return store.WebhookAttempt{Error: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Loket-Webhook/1")
	req.Header.Set(HeaderEvent, d.EventType)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	req.Header.Set(HeaderSignature, Sign(w.Secret, s.now(), d.Payload))
	resp, err := s.client.Do(req)
	if err != nil {
		return store.WebhookAttempt{Error: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	a := store.WebhookAttempt{Status: resp.StatusCode, Body: string(body)}
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.Error = "HTTP " + resp.Status
	case err != nil:
		// Answered 2xx: the receiver has the event, whatever became of
		// the rest of its answer.
		a.Body += "\n[answer cut off: " + err.Error() + "]"
	}
	return a
}

// clip shortens s to at most n bytes without splitting a character, so
// that a notice stays small enough to travel between nodes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
