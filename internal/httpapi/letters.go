package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// maxLetterBytes bounds a letter registration: the scan and the form.
const maxLetterBytes = desk.MaxAttachmentBytes + 1<<20

// registerLetter takes a paper letter as a multipart form: its scan in
// "file" and who wrote it, when it came and what it says in the other
// fields.
func (s *Server) registerLetter(w http.ResponseWriter, r *http.Request, p *principal) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return domain.Invalid("unsupported_media_type", "send the letter as multipart/form-data with the scan in the field file")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLetterBytes)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return domain.Invalid("invalid_form", "the multipart form cannot be read: "+err.Error())
	}
	defer r.MultipartForm.RemoveAll()
	l := &desk.Letter{AgentID: p.agent.ID}
	form := r.MultipartForm.Value
	field := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, id := range []struct {
		name string
		to   *int64
	}{{"channel_id", &l.ChannelID}, {"ticket_id", &l.TicketID}, {"contact_id", &l.ContactID}} {
		v := strings.TrimSpace(field(id.name))
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return domain.Invalid("invalid_"+id.name, id.name+" must be a positive id")
		}
		*id.to = n
	}
	if l.ChannelID == 0 {
		return domain.Invalid("invalid_channel_id", "channel_id names the letter channel the letter came by")
	}
	if l.TicketID != 0 && l.ContactID != 0 {
		return domain.Invalid("invalid_sender", "give either ticket_id or contact_id, not both")
	}
	if v := strings.TrimSpace(field("received_at")); v != "" {
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return domain.Invalid("invalid_received_at", "received_at is the day the letter came, as YYYY-MM-DD")
		}
		l.ReceivedOn = day
	}
	l.Name, l.SenderAddress, l.Email, l.Phone = field("name"), field("address"), field("email"), field("phone")
	l.Language, l.Summary = field("language"), field("summary")
	if err := domain.CheckLength("summary", l.Summary, desk.MaxTextBytes/2); err != nil {
		return err
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		return domain.Invalid("missing_scan", "attach the letter's scan, one PDF, PNG or JPEG file, in the field file")
	}
	f, err := files[0].Open()
	if err != nil {
		return fmt.Errorf("read letter scan: %w", err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("read letter scan: %w", err)
	}
	l.Scan = channel.Attachment{Filename: files[0].Filename, Data: data}
	if l.TicketID != 0 {
		if _, err := s.visibleTicket(r, p, l.TicketID); err != nil {
			return err
		}
	}
	if l.ContactID != 0 {
		if err := s.mayTouchContact(r, p, l.ContactID); err != nil {
			return err
		}
	}
	got, err := s.desk.RegisterLetter(r.Context(), l)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": got.Ticket, "message": got.Message, "contact": got.Contact})
	return nil
}

// confirmPosted marks a printed letter as posted: sent.
func (s *Server) confirmPosted(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	if m, err = s.desk.ConfirmSent(r.Context(), m.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}
