package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// maxResponse is how much of a receiver's answer the delivery log keeps.
const maxResponse = 2 << 10

// attempt makes one attempt at a delivery and records its outcome; last
// says no attempt follows. It returns an error when the delivery should be
// tried again, nil when it is done: delivered, failed for good, or no
// longer wanted (its webhook was removed or turned off).
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
		reason := fmt.Sprintf("turned off by Loket after %d deliveries in a row failed; the last: %s", DisableAfter, a.Error)
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
	if last {
		return nil
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
