package httpapi

import (
	"fmt"
	"net/http"
	"slices"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

type dialRequest struct {
	Number    string `json:"number"`
	ChannelID int64  `json:"channel_id"`
}

// dial places a call from a ticket for the agent (click-to-call).
func (s *Server) dial(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "an API token has no phone to call from")
	}
	var req dialRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if _, err := s.visibleTicket(r, p, id); err != nil {
		return err
	}
	a, err := s.store.Agent(r.Context(), p.agent.ID)
	if err != nil {
		return err
	}
	c, err := s.desk.Dial(r.Context(), id, a, req.ChannelID, req.Number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"call": c})
	return nil
}

// listCalls is the call log: every call the agent may see, newest first.
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, p *principal) error {
	var f store.CallFilter
	var err error
	if f.TicketID, err = queryInt(r, "ticket_id"); err != nil {
		return err
	}
	if f.AgentID, err = queryInt(r, "agent_id"); err != nil {
		return err
	}
	if f.Before, err = queryInt(r, "before"); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	q := r.URL.Query()
	f.State = domain.CallState(q.Get("state"))
	if f.State != "" && !f.State.Valid() {
		return domain.Invalid("invalid_state", fmt.Sprintf("unknown call state %q", f.State))
	}
	f.Missed = q.Get("missed") == "true"
	calls, err := s.store.Calls(r.Context(), f)
	if err != nil {
		return err
	}
	visible := calls[:0]
	for _, c := range calls {
		if ok, err := s.mayHearCall(r, p, c.Call); err != nil {
			return err
		} else if ok {
			visible = append(visible, c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": nonNil(visible)})
	return nil
}

// callDetail is what an agent's pop-up shows: the call, who calls and
// the caller's tickets, newest first.
type callDetail struct {
	Call    *domain.Call     `json:"call"`
	Contact *domain.Contact  `json:"contact"`
	Tickets []*domain.Ticket `json:"tickets"`
}

// getCall answers one call with its caller, for the agents who may see its
// ticket and the agents whose phones rang for it.
func (s *Server) getCall(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.CallOfMessage(r.Context(), id)
	if err != nil {
		return err
	}
	if ok, err := s.mayHearCall(r, p, c); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("call %d: %w", id, domain.ErrNotFound)
	}
	contact, err := s.store.Contact(r.Context(), c.ContactID)
	if err != nil {
		return err
	}
	// An agent whose phone rings is about to speak with the caller: the
	// caller's history is theirs to see, whatever team it is in.
	everyTicket := domain.Viewer{AgentID: p.agent.ID, Role: domain.RoleSupervisor}
	page, err := s.store.Tickets(r.Context(), store.TicketFilter{Viewer: everyTicket, ContactID: c.ContactID, Limit: 20})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, callDetail{Call: c, Contact: contact, Tickets: nonNil(page.Tickets)})
	return nil
}

// mayHearCall reports whether p may see a call: its ticket is visible to
// p, or p's phone rang for it, or p took or placed it.
func (s *Server) mayHearCall(r *http.Request, p *principal, c *domain.Call) (bool, error) {
	if p.agent.ID != 0 && (c.AgentID == p.agent.ID || slices.Contains(c.Ringing, p.agent.ID)) {
		return true, nil
	}
	t, err := s.store.Ticket(r.Context(), c.TicketID)
	if err != nil {
		return false, err
	}
	return viewerOf(p).CanSee(t.TeamID, t.AssigneeID), nil
}
