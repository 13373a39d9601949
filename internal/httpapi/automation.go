package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"loket.dev/loket/internal/automation"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// ruleRequest is a rule as the API takes it.
type ruleRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Trigger     string          `json:"trigger"`
	EventName   string          `json:"event_name"`
	Enabled     *bool           `json:"enabled"`
	Position    int             `json:"position"`
	Conditions  json.RawMessage `json:"conditions"`
	Actions     json.RawMessage `json:"actions"`
}

// rule checks a requested rule and returns it as stored.
func (req *ruleRequest) rule() (*store.Rule, *automation.Rule, error) {
	enabled := req.Enabled == nil || *req.Enabled
	cond := req.Conditions
	if len(cond) == 0 || string(cond) == "null" {
		cond = json.RawMessage(`{}`)
	}
	r, err := automation.Decode(0, 0, req.Name, req.Trigger, req.EventName, enabled, cond, req.Actions)
	if err != nil {
		return nil, nil, err
	}
	// Store them as decoded, so stored rules are always in one shape.
	c, _ := json.Marshal(r.Conditions)
	a, _ := json.Marshal(r.Actions)
	return &store.Rule{Name: strings.TrimSpace(req.Name), Description: req.Description, Trigger: req.Trigger, EventName: req.EventName,
		Enabled: enabled, Position: req.Position, Conditions: c, Actions: a}, r, nil
}

func (s *Server) ruleSchema(w http.ResponseWriter, r *http.Request, p *principal) error {
	writeJSON(w, http.StatusOK, automation.Schema())
	return nil
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request, p *principal) error {
	rules, err := s.store.Rules(r.Context())
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []*store.Rule{}
	}
	writeJSON(w, http.StatusOK, rules)
	return nil
}

func (s *Server) saveRule(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req ruleRequest
	if err := decode(w, r, 1<<20, &req); err != nil {
		return err
	}
	status := http.StatusCreated
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id"); err != nil {
			return err
		}
		prev, err := s.store.Rule(r.Context(), id)
		if err != nil {
			return err
		}
		if req.Enabled == nil {
			req.Enabled = &prev.Enabled // a save that does not say keeps the rule on or off
		}
		status = http.StatusOK
	}
	rule, _, err := req.rule()
	if err != nil {
		return err
	}
	rule.ID = id
	rule.UpdatedBy = p.agent.Name
	if err := s.store.SaveRule(r.Context(), rule); err != nil {
		return err
	}
	s.automation.Changed(r.Context())
	if err := s.store.Audit(r.Context(), p.agent.Name, "rule.save", rule.Name, ""); err != nil {
		return err
	}
	writeJSON(w, status, rule)
	return nil
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rule, err := s.store.Rule(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteRule(r.Context(), id); err != nil {
		return err
	}
	s.automation.Changed(r.Context())
	if err := s.store.Audit(r.Context(), p.agent.Name, "rule.delete", rule.Name, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) ruleVersions(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.Rule(r.Context(), id); err != nil {
		return err
	}
	versions, err := s.store.RuleVersions(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, versions)
	return nil
}

func (s *Server) ruleRuns(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r, 50, 500)
	if err != nil {
		return err
	}
	if _, err := s.store.Rule(r.Context(), id); err != nil {
		return err
	}
	runs, err := s.store.RuleRuns(r.Context(), id, limit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []*store.RuleRun{}
	}
	writeJSON(w, http.StatusOK, runs)
	return nil
}

// testRequest names an unsaved rule and what to try it on.
type testRequest struct {
	Rule         ruleRequest `json:"rule"`
	TicketID     int64       `json:"ticket_id"`
	TicketNumber int64       `json:"ticket_number"`
	EventID      int64       `json:"event_id"`
}

func (s *Server) testRule(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req testRequest
	if err := decode(w, r, 1<<20, &req); err != nil {
		return err
	}
	_, rule, err := req.Rule.rule()
	if err != nil {
		return err
	}
	ticketID, err := s.ticketRef(r, req.TicketID, req.TicketNumber)
	if err != nil {
		return err
	}
	if ticketID == 0 && req.EventID == 0 {
		return domain.Invalid("nothing_to_test", "name a ticket_number (or ticket_id), or an event_id for event rules")
	}
	res, err := s.automation.Test(r.Context(), rule, ticketID, req.EventID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ticketRef resolves a ticket given by id or number; 0 when neither.
func (s *Server) ticketRef(r *http.Request, id, number int64) (int64, error) {
	if id != 0 || number == 0 {
		return id, nil
	}
	t, err := s.store.TicketByNumber(r.Context(), number)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return 0, domain.Invalid("unknown_ticket", "no ticket has that number")
		}
		return 0, err
	}
	return t.ID, nil
}

type templateRequest struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, p *principal) error {
	ts, err := s.store.MessageTemplates(r.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []*store.MessageTemplate{}
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req templateRequest
	if err := decode(w, r, 1<<20, &req); err != nil {
		return err
	}
	t := &store.MessageTemplate{Name: strings.TrimSpace(req.Name), Language: strings.ToLower(strings.TrimSpace(req.Language)),
		Subject: req.Subject, Body: req.Body}
	if t.Name == "" || t.Language == "" || strings.TrimSpace(t.Body) == "" {
		return domain.Invalid("invalid_template", "a template needs a name, a language and a body")
	}
	for _, src := range []string{t.Subject, t.Body} {
		if err := automation.Check(src); err != nil {
			return domain.Invalid("template_error", err.Error())
		}
	}
	status := http.StatusCreated
	if r.PathValue("id") != "" {
		var err error
		if t.ID, err = pathID(r, "id"); err != nil {
			return err
		}
		status = http.StatusOK
	}
	if err := s.store.SaveMessageTemplate(r.Context(), t); err != nil {
		if store.IsUnique(err) {
			return domain.Invalid("template_exists", "a template with this name and language exists")
		}
		return err
	}
	if err := s.store.Audit(r.Context(), p.agent.Name, "template.save", t.Name+" ("+t.Language+")", ""); err != nil {
		return err
	}
	writeJSON(w, status, t)
	return nil
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := s.store.MessageTemplate(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteMessageTemplate(r.Context(), id); err != nil {
		return err
	}
	if err := s.store.Audit(r.Context(), p.agent.Name, "template.delete", t.Name+" ("+t.Language+")", ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type previewRequest struct {
	Subject      string         `json:"subject"`
	Body         string         `json:"body"`
	Language     string         `json:"language"`
	TicketID     int64          `json:"ticket_id"`
	TicketNumber int64          `json:"ticket_number"`
	ContactID    int64          `json:"contact_id"`
	EventID      int64          `json:"event_id"`
	Data         map[string]any `json:"data"`
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req previewRequest
	if err := decode(w, r, 1<<20, &req); err != nil {
		return err
	}
	ticketID, err := s.ticketRef(r, req.TicketID, req.TicketNumber)
	if err != nil {
		return err
	}
	if ticketID != 0 {
		if _, err := s.visibleTicket(r, p, ticketID); err != nil {
			return err
		}
	}
	if req.ContactID != 0 {
		if err := s.mayTouchContact(r, p, req.ContactID); err != nil {
			return err
		}
	}
	if req.EventID != 0 {
		ev, err := s.store.ContactEvent(r.Context(), req.EventID)
		if err != nil {
			return err
		}
		if err := s.mayTouchContact(r, p, ev.ContactID); err != nil {
			return err
		}
	}
	subject, body, err := s.automation.Preview(r.Context(), automation.PreviewInput{Subject: req.Subject, Body: req.Body,
		Language: req.Language, TicketID: ticketID, ContactID: req.ContactID, EventID: req.EventID, Data: req.Data})
	var te *automation.TemplateError
	if errors.As(err, &te) {
		return domain.Invalid("template_error", te.Message)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"subject": subject, "body": body})
	return nil
}

// postEvent takes an event from another system, such as a web shop's
// order.placed: 202 with the stored event, or 200 with the first one when
// its idempotency key was seen before.
func (s *Server) postEvent(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in automation.EventInput
	if err := decode(w, r, 2*automation.MaxEventData, &in); err != nil {
		return err
	}
	ev, dup, err := s.automation.PostEvent(r.Context(), in, p.agent.Name, s.desk.Region())
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"event": ev, "duplicate": dup})
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	contactID, err := queryInt(r, "contact_id")
	if err != nil {
		return err
	}
	if contactID == 0 {
		return domain.Invalid("invalid_query", "name the contact: ?contact_id=")
	}
	if err := s.mayTouchContact(r, p, contactID); err != nil {
		return err
	}
	evs, err := s.store.ContactEvents(r.Context(), contactID, 100)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []*domain.ContactEvent{}
	}
	writeJSON(w, http.StatusOK, evs)
	return nil
}

func (s *Server) cancelScheduled(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	if m, err = s.desk.CancelScheduled(r.Context(), m.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) startCampaign(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in automation.CampaignInput
	if err := decode(w, r, 1<<20, &in); err != nil {
		return err
	}
	c, err := s.automation.StartCampaign(r.Context(), in, p.agent.Name)
	if err != nil {
		return err
	}
	if err := s.store.Audit(r.Context(), p.agent.Name, "campaign.start", c.Name, fmt.Sprintf("%d recipients", c.Recipients)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, p *principal) error {
	cs, err := s.store.Campaigns(r.Context(), 100)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*store.Campaign{}
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// campaignRecipients pages through a campaign's results by contact id
// (?after=, ?limit=).
func (s *Server) campaignRecipients(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	if _, err := s.store.Campaign(r.Context(), id); err != nil {
		return err
	}
	rs, err := s.store.CampaignRecipients(r.Context(), id, after, limit)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []*store.Recipient{}
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

type reviewRequest struct {
	Text    *string `json:"text"`
	Comment string  `json:"comment"`
}

// approveReply sends a reply awaiting approval, with the reviewer's
// corrections when the body carries a text.
func (s *Server) approveReply(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.review(w, r, p, true)
}

// returnReply sends a reply awaiting approval back to its writer with a
// comment.
func (s *Server) returnReply(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.review(w, r, p, false)
}

func (s *Server) review(w http.ResponseWriter, r *http.Request, p *principal, approve bool) error {
	var req reviewRequest
	if err := decode(w, r, MaxInboundBytes, &req); err != nil {
		return err
	}
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	if m, err = s.desk.ReviewReply(r.Context(), desk.Review{MessageID: m.ID, ReviewerID: p.agent.ID, Reviewer: p.agent.Name, ReviewerRole: p.agent.Role,
		Approve: approve, Text: req.Text, Comment: req.Comment}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// listApprovals lists the replies waiting for a second person that the
// agent may approve.
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, p *principal) error {
	all, err := s.store.AwaitingApproval(r.Context(), 200)
	if err != nil {
		return err
	}
	chs, err := s.store.Channels(r.Context(), "")
	if err != nil {
		return err
	}
	byID := make(map[int64]*domain.Channel, len(chs))
	for _, ch := range chs {
		byID[ch.ID] = ch
	}
	ms := []*domain.Message{}
	for _, m := range all {
		if desk.MayApprove(byID[m.ChannelID], p.agent.ID, p.agent.Role) {
			ms = append(ms, m)
		}
	}
	writeJSON(w, http.StatusOK, ms)
	return nil
}
