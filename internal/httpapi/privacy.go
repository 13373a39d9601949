package httpapi

import (
	"fmt"
	"mime"
	"net/http"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/privacy"
)

// exportContact answers everything Loket keeps about a contact as a ZIP
// archive (the GDPR's right of access), and notes it in the audit log.
func (s *Server) exportContact(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.Audit(r.Context(), p.agent.Name, "contact.export", c.Number, s.clientIP(r)); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fmt.Sprintf("contact-%s.zip", c.Number)}))
	h.Set("Cache-Control", "no-store")
	if err := privacy.Export(r.Context(), s.store, s.blobs, id, s.limits.now(), w); err != nil {
		// The archive has begun: cut the connection so that a truncated
		// file is not taken for a whole one.
		s.log.Error("contact export failed", "contact", id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

type eraseRequest struct {
	// Confirm repeats the contact's customer number, so that a mistyped
	// id cannot erase the wrong customer.
	Confirm string `json:"confirm"`
}

// eraseContact erases a contact at their request and notes it in the
// audit log.
func (s *Server) eraseContact(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req eraseRequest
	if err := decode(w, r, 1<<10, &req); err != nil {
		return err
	}
	c, err := s.store.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	if req.Confirm != c.Number {
		return domain.Invalid("confirm_mismatch", fmt.Sprintf("confirm must be the contact's customer number, %s", c.Number))
	}
	if c, err = s.desk.EraseContact(r.Context(), id); err != nil {
		return err
	}
	if err := s.store.Audit(r.Context(), p.agent.Name, "contact.erase", c.Number, s.clientIP(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"contact": c})
	return nil
}
