package httpapi

import (
	"net/http"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/webhook"
)

// webhookView is a webhook as the API shows it; Secret is set only in the
// answer that created it, the one time it is shown.
type webhookView struct {
	*domain.Webhook
	Secret string `json:"secret,omitempty"`
}

type newWebhookRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookRequest struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Active *bool     `json:"active"`
}

// webhookService returns the webhook service, or an error when this server runs
// without one.
func (s *Server) webhookService() (*webhook.Service, error) {
	if s.webhooks == nil {
		return nil, errorf(http.StatusServiceUnavailable, "webhooks_unavailable", "webhooks are not running on this server")
	}
	return s.webhooks, nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ *principal) error {
	hooks, err := s.store.Webhooks(r.Context())
	if err != nil {
		return err
	}
	out := make([]webhookView, len(hooks))
	for i, h := range hooks {
		out[i] = webhookView{Webhook: h}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

func (s *Server) webhookEventTypes(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"event_types": webhook.EventTypes})
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	var req newWebhookRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	h, err := svc.Create(r.Context(), p.agent.Name, req.URL, req.Events)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookView{Webhook: h, Secret: h.Secret})
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	h, err := svc.Update(r.Context(), p.agent.Name, id, webhook.Change{URL: req.URL, Events: req.Events, Active: req.Active})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView{Webhook: h})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), p.agent.Name, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxDeliveries bounds one page of the delivery log.
const maxDeliveries = 200

// listWebhookDeliveries pages through a webhook's delivery log, newest
// first: limit (default 50) at a time, before a delivery id to go back.
func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := kbLimit(r, 50, maxDeliveries)
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before")
	if err != nil {
		return err
	}
	if before < 0 {
		return errorf(http.StatusBadRequest, "invalid_query", "before must be a delivery id")
	}
	if _, err := s.store.Webhook(r.Context(), id); err != nil {
		return err
	}
	ds, err := s.store.WebhookDeliveries(r.Context(), id, before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
	return nil
}

// redeliverWebhookDelivery sends a delivery's payload again as a new
// delivery, signed anew.
func (s *Server) redeliverWebhookDelivery(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := s.webhookService()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := svc.Redeliver(r.Context(), p.agent.Name, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}
