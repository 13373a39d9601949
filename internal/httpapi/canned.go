package httpapi

import (
	"net/http"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

type cannedRequest struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

func (s *Server) listCanned(w http.ResponseWriter, r *http.Request, _ *principal) error {
	cs, err := s.store.CannedResponses(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_responses": cs})
	return nil
}

func (s *Server) saveCanned(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := optionalPathID(r)
	if err != nil {
		return err
	}
	var req cannedRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	c := &store.CannedResponse{ID: id, Title: strings.TrimSpace(req.Title), Text: req.Text}
	if c.Title == "" || strings.TrimSpace(c.Text) == "" {
		return domain.Invalid("missing_field", "title and text are required")
	}
	return s.saved(w, r, p, id, c, "canned_response.save", c.Title, func(tx *store.Store) error { return tx.SaveCannedResponse(r.Context(), c) })
}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.DeleteCannedResponse(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "canned_response.delete", r.PathValue("id"), "")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
