package httpapi

import (
	"context"
	"net/http"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/store"
)

// The front desk: receptionists check visitors in, agents call them to
// their counters and end their visits (desk.CheckInVisitor and friends).
// The public side, the waiting-room display and its queue, is the desk
// channel adapter's.

type checkInRequest struct {
	ChannelID      int64  `json:"channel_id"`
	CustomerNumber string `json:"customer_number"`
	Phone          string `json:"phone"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Topic          string `json:"topic"`
	TicketNumber   int64  `json:"ticket_number"`
}

// visitView is a visit as agents see it: with the ticket's number and
// who the visitor is, when the agent may see that contact.
type visitView struct {
	*store.Visit
	TicketNumber  int64  `json:"ticket_number"`
	ContactName   string `json:"contact_name"`
	ContactNumber string `json:"contact_number"`
}

type visitQueueView struct {
	Waiting        []visitView `json:"waiting"`
	Serving        []visitView `json:"serving"`
	ExpectedWaitMs int64       `json:"expected_wait_ms"`
	ServiceMs      int64       `json:"service_ms"`
}

func (s *Server) visitView(ctx context.Context, p *principal, v *store.Visit) (visitView, error) {
	out := visitView{Visit: v}
	t, err := s.store.Ticket(ctx, v.TicketID)
	if err != nil {
		return out, err
	}
	out.TicketNumber = t.Number
	visible, err := s.store.ContactVisible(ctx, v.ContactID, s.contactViewer(p))
	if err != nil || !visible {
		return out, err
	}
	c, err := s.store.Contact(ctx, v.ContactID)
	if err != nil {
		return out, err
	}
	out.ContactName, out.ContactNumber = c.Name, c.Number
	return out, nil
}

// checkInVisitor checks a visitor in at a front desk and answers the
// visit with its queue number.
func (s *Server) checkInVisitor(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req checkInRequest
	if err := decode(w, r, 8<<10, &req); err != nil {
		return err
	}
	v, err := s.desk.CheckInVisitor(r.Context(), desk.CheckIn{ChannelID: req.ChannelID, CustomerNumber: req.CustomerNumber,
		Phone: req.Phone, Email: req.Email, Name: req.Name, Topic: req.Topic, TicketNumber: req.TicketNumber})
	if err != nil {
		return err
	}
	view, err := s.visitView(r.Context(), p, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, view)
	return nil
}

// listVisits shows a front desk's queue: who waits, who is being served,
// and the expected wait.
func (s *Server) listVisits(w http.ResponseWriter, r *http.Request, p *principal) error {
	channelID, err := queryInt(r, "channel_id")
	if err != nil {
		return err
	}
	if channelID == 0 {
		return errorf(http.StatusBadRequest, "invalid_query", "give the front desk's channel_id")
	}
	q, err := s.desk.QueueOfVisitors(r.Context(), channelID)
	if err != nil {
		return err
	}
	out := visitQueueView{Waiting: []visitView{}, Serving: []visitView{}, ExpectedWaitMs: q.ExpectedWait.Milliseconds(), ServiceMs: q.Service.Milliseconds()}
	for _, list := range []struct {
		from []*store.Visit
		to   *[]visitView
	}{{q.Waiting, &out.Waiting}, {q.Serving, &out.Serving}} {
		for _, v := range list.from {
			view, err := s.visitView(r.Context(), p, v)
			if err != nil {
				return err
			}
			*list.to = append(*list.to, view)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type callNextRequest struct {
	ChannelID int64  `json:"channel_id"`
	Counter   string `json:"counter"`
}

// callNextVisitor calls the longest-waiting visitor to the caller's
// counter and assigns the caller the visit's ticket; 204 when nobody waits.
func (s *Server) callNextVisitor(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req callNextRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	v, err := s.desk.CallNextVisitor(r.Context(), req.ChannelID, p.agent.ID, req.Counter)
	if err != nil {
		return err
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	view, err := s.visitView(r.Context(), p, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

type endVisitRequest struct {
	Notes string `json:"notes"`
}

// finishVisit ends the visit being served with the agent's notes.
func (s *Server) finishVisit(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.endVisit(w, r, p, false)
}

// noShowVisit ends a called visit whose visitor did not come.
func (s *Server) noShowVisit(w http.ResponseWriter, r *http.Request, p *principal) error {
	return s.endVisit(w, r, p, true)
}

func (s *Server) endVisit(w http.ResponseWriter, r *http.Request, p *principal, noShow bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req endVisitRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	v, err := s.desk.FinishVisit(r.Context(), id, p.agent.ID, noShow, req.Notes)
	if err != nil {
		return err
	}
	view, err := s.visitView(r.Context(), p, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}
