package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// searchResult answers a global search: Exact names the one thing the
// query identifies (a ticket or customer number, an address), if any.
type searchResult struct {
	Exact    *searchHit        `json:"exact,omitempty"`
	Tickets  []*domain.Ticket  `json:"tickets"`
	Contacts []*domain.Contact `json:"contacts"`
}

type searchHit struct {
	Kind string `json:"kind"` // ticket or contact
	ID   int64  `json:"id"`
}

// search finds a ticket number, customer number, e-mail address or phone
// number in any format exactly, and otherwise searches text.
func (s *Server) search(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return errorf(http.StatusBadRequest, "invalid_query", "q is required")
	}
	ctx := r.Context()
	res := searchResult{Tickets: []*domain.Ticket{}, Contacts: []*domain.Contact{}}
	viewer := viewerOf(p)

	if n, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && n > 0 {
		t, err := s.store.TicketByNumber(ctx, n)
		if err == nil && viewer.CanSee(t.TeamID, t.AssigneeID) {
			res.Exact = &searchHit{"ticket", t.ID}
			res.Tickets = append(res.Tickets, t)
		} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	}
	if res.Exact == nil {
		if c, err := s.store.ContactByNumber(ctx, q); err == nil && s.mayTouchContact(r, p, c.ID) == nil {
			res.Exact = &searchHit{"contact", c.ID}
			res.Contacts = append(res.Contacts, c)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
	}
	if res.Exact == nil {
		for _, kind := range []domain.IdentityKind{domain.IdentityEmail, domain.IdentityPhone} {
			id, err := domain.NewIdentity(kind, q, s.desk.Region())
			if err != nil || (kind == domain.IdentityPhone && strings.Contains(q, "@")) {
				continue
			}
			cid, err := s.store.ContactIDByIdentity(ctx, id)
			if errors.Is(err, domain.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			c, err := s.store.Contact(ctx, cid)
			if err != nil {
				return err
			}
			if s.mayTouchContact(r, p, c.ID) != nil {
				break
			}
			res.Exact = &searchHit{"contact", c.ID}
			res.Contacts = append(res.Contacts, c)
			break
		}
	}
	if res.Exact != nil {
		if res.Exact.Kind == "contact" {
			page, err := s.store.Tickets(ctx, store.TicketFilter{Viewer: viewer, ContactID: res.Exact.ID, Limit: 50})
			if err != nil {
				return err
			}
			res.Tickets = page.Tickets
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	page, err := s.store.Tickets(ctx, store.TicketFilter{Viewer: viewer, Text: q, Limit: 50})
	if err != nil {
		return err
	}
	res.Tickets = page.Tickets
	cs, err := s.store.Contacts(ctx, store.ContactFilter{Query: q, Limit: 20, Viewer: s.contactViewer(p)})
	if err != nil {
		return err
	}
	res.Contacts = nonNil(cs)
	writeJSON(w, http.StatusOK, res)
	return nil
}

func timeOf(ms int64) time.Time { return time.UnixMilli(ms) }
