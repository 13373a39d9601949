package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

type contactRequest struct {
	Number     *string            `json:"number"`
	Name       *string            `json:"name"`
	Language   *string            `json:"language"`
	Address    *string            `json:"address"`
	Attributes *json.RawMessage   `json:"attributes"`
	Verified   *bool              `json:"verified"`
	Identities *[]domain.Identity `json:"identities"`
}

func (req *contactRequest) apply(c *domain.Contact, region string) ([]domain.Identity, error) {
	if req.Number != nil {
		n := strings.TrimSpace(*req.Number)
		if n == "" || len(n) > 64 {
			return nil, domain.Invalid("invalid_number", "customer number must be 1 to 64 characters")
		}
		c.Number = n
	}
	if req.Name != nil {
		c.Name = strings.TrimSpace(*req.Name)
		if err := domain.CheckLength("name", c.Name, domain.MaxNameBytes); err != nil {
			return nil, err
		}
	}
	if req.Language != nil {
		c.Language = strings.ToLower(strings.TrimSpace(*req.Language))
		if err := domain.CheckLength("language", c.Language, domain.MaxLanguageBytes); err != nil {
			return nil, err
		}
	}
	if req.Address != nil {
		a, err := domain.PostalAddress(*req.Address)
		if err != nil {
			return nil, err
		}
		c.Address = a
	}
	if req.Verified != nil {
		c.Verified = *req.Verified
	}
	if req.Attributes != nil {
		var obj map[string]any
		if err := json.Unmarshal(*req.Attributes, &obj); err != nil || obj == nil {
			return nil, domain.Invalid("invalid_attributes", "attributes must be a JSON object")
		}
		c.Attributes = *req.Attributes
	}
	if req.Identities == nil {
		return nil, nil
	}
	ids := make([]domain.Identity, 0, len(*req.Identities))
	for _, in := range *req.Identities {
		id, err := domain.NewIdentity(in.Kind, in.Value, region)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// setIdentities makes the contact's identities exactly ids, refusing any
// that belongs to another contact.
func setIdentities(r *http.Request, tx *store.Store, c *domain.Contact, ids []domain.Identity) error {
	keep := map[domain.Identity]bool{}
	for _, id := range ids {
		owner, err := tx.AddIdentity(r.Context(), c.ID, id)
		if err != nil {
			return err
		}
		if owner != c.ID {
			return domain.Invalid("identity_taken", id.String()+" belongs to another contact; merge the two contacts instead")
		}
		keep[id] = true
	}
	for _, id := range c.Identities {
		if !keep[id] {
			if err := tx.RemoveIdentity(r.Context(), c.ID, id); err != nil {
				return err
			}
		}
	}
	c.Identities = ids
	return nil
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, p *principal) error {
	after, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if id, err := domain.NewIdentity(domain.IdentityPhone, q, s.desk.Region()); err == nil && strings.ContainsAny(q, "0123456789") && !strings.Contains(q, "@") {
		q = id.Value // any way of writing a phone number finds its E.164 identity
	}
	cs, err := s.store.Contacts(r.Context(), store.ContactFilter{Query: q, AfterID: after, Limit: int(limit), Viewer: s.contactViewer(p)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": nonNil(cs)})
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var req contactRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	c := &domain.Contact{}
	ids, err := req.apply(c, s.desk.Region())
	if err != nil {
		return err
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreateContact(r.Context(), c); err != nil {
			return err
		}
		return setIdentities(r, tx, c, ids)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// contactDetail is a contact with the tickets the caller may see.
type contactDetail struct {
	*domain.Contact
	Tickets []*domain.Ticket `json:"tickets"`
}

func (s *Server) writeContact(w http.ResponseWriter, r *http.Request, p *principal, c *domain.Contact) error {
	page, err := s.store.Tickets(r.Context(), store.TicketFilter{Viewer: viewerOf(p), ContactID: c.ID, Limit: 200})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, contactDetail{Contact: c, Tickets: page.Tickets})
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.Contact(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.mayTouchContact(r, p, c.ID); err != nil {
		return err
	}
	return s.writeContact(w, r, p, c)
}

func (s *Server) contactByNumber(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, err := s.store.ContactByNumber(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	if err := s.mayTouchContact(r, p, c.ID); err != nil {
		return err
	}
	return s.writeContact(w, r, p, c)
}

// contactViewer is whose visibility limits the contacts p sees, or nil
// when p sees them all (see domain.ContactScope).
func (s *Server) contactViewer(p *principal) *domain.Viewer {
	return s.contacts.ContactViewer(viewerOf(p))
}

// mayTouchContact answers 404, as for a missing contact, when p may not
// see contact id.
func (s *Server) mayTouchContact(r *http.Request, p *principal, id int64) error {
	ok, err := s.store.ContactVisible(r.Context(), id, s.contactViewer(p))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("contact %d is not visible to this agent: %w", id, domain.ErrNotFound)
	}
	return nil
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req contactRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	if err := s.mayTouchContact(r, p, id); err != nil {
		return err
	}
	var c *domain.Contact
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if c, err = tx.Contact(r.Context(), id); err != nil {
			return err
		}
		if c.MergedInto != 0 {
			return domain.Invalid("merged", "this contact was merged into another; edit that one")
		}
		ids, err := req.apply(c, s.desk.Region())
		if err != nil {
			return err
		}
		if err := tx.UpdateContact(r.Context(), c); err != nil {
			return err
		}
		if req.Identities != nil && !p.allowed(supervisor) {
			// Moving an address moves the customer's future messages.
			return errorf(http.StatusForbidden, "forbidden", "only supervisors and admins may change a contact's addresses")
		}
		if req.Identities != nil {
			return setIdentities(r, tx, c, ids)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeContact(w, r, p, c)
}

type mergeRequest struct {
	ContactID int64 `json:"contact_id"`
}

// mergeContact merges the contact in the body into the one in the path.
func (s *Server) mergeContact(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req mergeRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if req.ContactID == 0 {
		return domain.Invalid("missing_field", "contact_id names the contact to merge into this one")
	}
	for _, cid := range []int64{id, req.ContactID} {
		if err := s.mayTouchContact(r, p, cid); err != nil {
			return err
		}
	}
	c, err := s.desk.MergeContacts(r.Context(), id, req.ContactID, p.agent.ID)
	if err != nil {
		return err
	}
	return s.writeContact(w, r, p, c)
}
