package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sanitize"
	"loket.dev/loket/internal/store"
)

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	f := store.TicketFilter{Viewer: viewerOf(p), Tag: strings.ToLower(q.Get("tag")), Text: q.Get("q"), Cursor: q.Get("cursor"),
		Breached: q.Get("breached") == "true"}
	switch q.Get("sort") {
	case "", "updated":
	case "due":
		f.SortDue = true
	default:
		return errorf(http.StatusBadRequest, "invalid_query", "sort must be updated or due")
	}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st == "" {
			continue
		}
		if !domain.TicketStatus(st).Valid() {
			return errorf(http.StatusBadRequest, "invalid_query", "unknown status %q", st)
		}
		f.Statuses = append(f.Statuses, domain.TicketStatus(st))
	}
	if pr := q.Get("priority"); pr != "" {
		if !domain.Priority(pr).Valid() {
			return errorf(http.StatusBadRequest, "invalid_query", "unknown priority %q", pr)
		}
		f.Priority = domain.Priority(pr)
	}
	var err error
	if f.TeamID, err = queryInt(r, "team_id"); err != nil {
		return err
	}
	if f.ChannelID, err = queryInt(r, "channel_id"); err != nil {
		return err
	}
	if f.ContactID, err = queryInt(r, "contact_id"); err != nil {
		return err
	}
	switch a := q.Get("assignee_id"); a {
	case "":
	case "none":
		f.AssigneeID = -1
	case "me":
		f.AssigneeID = p.agent.ID
	default:
		if f.AssigneeID, err = queryInt(r, "assignee_id"); err != nil {
			return err
		}
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	page, err := s.store.Tickets(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// ticketDetail is a ticket with its contact and the newest part of its
// timeline; MoreMessages says older entries exist (page back with
// GET /messages).
type ticketDetail struct {
	*domain.Ticket
	Contact      *domain.Contact   `json:"contact"`
	Messages     []*domain.Message `json:"messages"`
	MoreMessages bool              `json:"more_messages"`
}

// timelineLimit is how many messages a ticket answer carries.
const timelineLimit = 500

// visibleTicket loads a ticket and answers 404 when the caller may not see
// it, so that ticket ids reveal nothing.
func (s *Server) visibleTicket(r *http.Request, p *principal, id int64) (*domain.Ticket, error) {
	t, err := s.store.Ticket(r.Context(), id)
	return checkVisible(p, t, err)
}

func checkVisible(p *principal, t *domain.Ticket, err error) (*domain.Ticket, error) {
	if err != nil {
		return nil, err
	}
	if !viewerOf(p).CanSee(t.TeamID, t.AssigneeID) {
		return nil, fmt.Errorf("ticket %d: %w", t.ID, domain.ErrNotFound)
	}
	return t, nil
}

func (s *Server) writeTicket(w http.ResponseWriter, r *http.Request, t *domain.Ticket) error {
	c, err := s.store.Contact(r.Context(), t.ContactID)
	if err != nil {
		return err
	}
	msgs, more, err := s.store.LastMessages(r.Context(), t.ID, timelineLimit)
	if err != nil {
		return err
	}
	linkInlineImages(msgs)
	writeJSON(w, http.StatusOK, ticketDetail{Ticket: t, Contact: c, Messages: msgs, MoreMessages: more})
	return nil
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.visibleTicket(r, p, id)
	if err != nil {
		return err
	}
	return s.writeTicket(w, r, t)
}

func (s *Server) ticketByNumber(w http.ResponseWriter, r *http.Request, p *principal) error {
	n, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("number"), "#"), 10, 64)
	if err != nil {
		return errorf(http.StatusNotFound, "not_found", "%q is not a ticket number", r.PathValue("number"))
	}
	t, err := s.store.TicketByNumber(r.Context(), n)
	if t, err = checkVisible(p, t, err); err != nil {
		return err
	}
	return s.writeTicket(w, r, t)
}

type ticketPatch struct {
	Status     *domain.TicketStatus `json:"status"`
	Priority   *domain.Priority     `json:"priority"`
	AssigneeID *int64               `json:"assignee_id"`
	TeamID     *int64               `json:"team_id"`
	Tags       *[]string            `json:"tags"`
	Subject    *string              `json:"subject"`
	Skills     *[]string            `json:"skills"`
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req ticketPatch
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	if _, err := s.visibleTicket(r, p, id); err != nil {
		return err
	}
	t, err := s.desk.UpdateTicket(r.Context(), id, p.agent.ID, desk.TicketChange{
		Status: req.Status, Priority: req.Priority, AssigneeID: req.AssigneeID, TeamID: req.TeamID, Tags: req.Tags, Subject: req.Subject,
		Skills: req.Skills,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// listMessages pages through a ticket's timeline: ?ticket_id=N&after=M.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := queryInt(r, "ticket_id")
	if err != nil {
		return err
	}
	if id == 0 {
		return errorf(http.StatusBadRequest, "invalid_query", "ticket_id is required")
	}
	if _, err := s.visibleTicket(r, p, id); err != nil {
		return err
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	msgs, err := s.store.Messages(r.Context(), id, after, 500)
	if err != nil {
		return err
	}
	linkInlineImages(msgs)
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}

type messageRequest struct {
	Text        string              `json:"text"`
	HTML        string              `json:"html"`
	ChannelID   int64               `json:"channel_id"`
	Note        bool                `json:"note"`
	To          *domain.Identity    `json:"to"`
	Cc          []string            `json:"cc"`
	Attachments []attachmentRequest `json:"attachments"`
	// Template sends an approved template instead of free text.
	Template *channel.TemplateRef `json:"template"`
	// SendAt schedules the reply (Unix ms).
	SendAt int64 `json:"send_at"`
	// Approval holds the reply until a supervisor approves it.
	Approval bool `json:"approval"`
	// Checked: the agent confirms a public reply's personal data.
	Checked bool `json:"checked"`
}

type attachmentRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req messageRequest
	if err := decode(w, r, MaxInboundBytes, &req); err != nil {
		return err
	}
	if _, err := s.visibleTicket(r, p, id); err != nil {
		return err
	}
	out := &desk.Outgoing{TicketID: id, ChannelID: req.ChannelID, Note: req.Note, Text: req.Text, HTML: sanitize.HTML(req.HTML),
		Cc: req.Cc, AuthorType: domain.AuthorAgent, AuthorID: p.agent.ID, Template: req.Template, SendAt: req.SendAt,
		Approval: req.Approval, Checked: req.Checked}
	if req.To != nil {
		to, err := domain.NewIdentity(req.To.Kind, req.To.Value, s.desk.Region())
		if err != nil {
			return err
		}
		out.To = &to
	}
	for i, a := range req.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return domain.Invalid("invalid_attachment", fmt.Sprintf("attachments[%d].data is not base64", i))
		}
		out.Attachments = append(out.Attachments, channel.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
	}
	m, err := s.desk.Send(r.Context(), out)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// visibleMessage loads the message named in the path, answering 404 when
// the caller may not see its ticket.
func (s *Server) visibleMessage(r *http.Request, p *principal) (*domain.Message, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	m, err := s.store.Message(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if _, err := s.visibleTicket(r, p, m.TicketID); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Server) retryMessage(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	if m, err = s.desk.Retry(r.Context(), m.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	m, err := s.store.Message(r.Context(), a.MessageID)
	if err != nil {
		return err
	}
	if _, err := s.visibleTicket(r, p, m.TicketID); err != nil {
		return err
	}
	f, err := s.blobs.Open(r.Context(), a.SHA256)
	if err != nil {
		return fmt.Errorf("attachment %d: %w", id, err)
	}
	defer f.Close()
	channel.ServeAttachment(w, r, a, f, timeOf(m.CreatedAt), "private, max-age=86400, immutable")
	return nil
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request, _ *principal) error {
	ds, err := s.store.DeadLetters(r.Context())
	if err != nil {
		return err
	}
	type view struct {
		*store.DeadLetter
		Payload string `json:"payload"`
	}
	out := make([]view, len(ds))
	for i, d := range ds {
		out[i] = view{d, string(d.Payload)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": out})
	return nil
}

func (s *Server) retryDeadLetter(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := s.desk.RetryDeadLetter(r.Context(), id)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) || errors.Is(err, domain.ErrNotFound) {
			return err
		}
		return errorf(http.StatusConflict, "retry_failed", "processing failed again: %v", err)
	}
	ids := []int64{}
	for _, rc := range res.Received {
		ids = append(ids, rc.Message.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message_ids": ids})
	return nil
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID != 0 {
		// The app is back: it counts as seen, and an agent Loket set away
		// because the app was gone is online again.
		if err := s.store.TouchAgents(r.Context(), []int64{p.agent.ID}, store.Now()); err != nil {
			return err
		}
		if p.agent.PresenceAuto && p.agent.Presence == domain.PresenceAway {
			if err := s.desk.AutoPresence(r.Context(), p.agent.ID, domain.PresenceOnline); err != nil {
				return err
			}
		}
	}
	s.hub.Serve(w, r, viewerOf(p), domain.AgentRef{ID: p.agent.ID, Name: p.agent.Name})
	return nil
}

// linkInlineImages points "cid:" references in message HTML at the stored
// inline attachments, so images embedded in an e-mail show in the browser.
// Stored HTML keeps the references; links are made when read.
func linkInlineImages(msgs []*domain.Message) {
	for _, m := range msgs {
		if m.HTML == "" || !strings.Contains(m.HTML, "cid:") {
			continue
		}
		var pairs []string
		for _, a := range m.Attachments {
			if a.ContentID != "" {
				pairs = append(pairs, `"cid:`+html.EscapeString(a.ContentID)+`"`, fmt.Sprintf(`"/api/v1/attachments/%d"`, a.ID))
			}
		}
		if len(pairs) > 0 {
			m.HTML = strings.NewReplacer(pairs...).Replace(m.HTML)
		}
	}
}

// rawMessage downloads the original of a message as the provider sent it,
// such as the .eml of an e-mail.
func (s *Server) rawMessage(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	id := m.ID
	if m.RawSHA256 == "" {
		return errorf(http.StatusNotFound, "not_found", "message %d has no original kept", id)
	}
	f, err := s.blobs.Open(r.Context(), m.RawSHA256)
	if err != nil {
		return fmt.Errorf("original of message %d: %w", id, err)
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "message/rfc822")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fmt.Sprintf("message-%d.eml", id)}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", timeOf(m.CreatedAt), f)
	return nil
}

// listAudit pages through the audit log of admin actions, newest first:
// ?before= an entry's id, ?action= a prefix such as "rule.", ?limit=.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, _ *principal) error {
	before, err := queryInt(r, "before")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r, 100, 500)
	if err != nil {
		return err
	}
	es, err := s.store.AuditLog(r.Context(), before, r.URL.Query().Get("action"), limit)
	if err != nil {
		return err
	}
	if es == nil {
		es = []*store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
	return nil
}
