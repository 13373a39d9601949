package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"loket.dev/loket/internal/domain"
)

const contactColumns = "id, number, name, language, address, attributes, verified, merged_into, opt_outs, created_at, updated_at"

func scanContact(row interface{ Scan(...any) error }) (*domain.Contact, error) {
	var c domain.Contact
	var attrs, optOuts string
	var merged nullInt
	if err := row.Scan(&c.ID, &c.Number, &c.Name, &c.Language, &c.Address, &attrs, &c.Verified, &merged, &optOuts, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.OptOuts = splitList(optOuts)
	c.Attributes = json.RawMessage(attrs)
	c.MergedInto = merged.Int64
	c.Identities = []domain.Identity{}
	return &c, nil
}

// CreateContact stores a contact. Without a number it gets the next
// customer number (C-000001, C-000002, …).
func (s *Store) CreateContact(ctx context.Context, c *domain.Contact) error {
	if c.Number == "" {
		n, err := s.nextNumber(ctx, "contact_number")
		if err != nil {
			return err
		}
		c.Number = fmt.Sprintf("C-%06d", n)
	}
	if len(c.Attributes) == 0 {
		c.Attributes = json.RawMessage("{}")
	}
	now := Now()
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO contacts (number, name, language, attributes, verified, created_at, updated_at, address)
		 VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`,
		c.Number, c.Name, c.Language, string(c.Attributes), c.Verified, now, c.Address).Scan(&c.ID)
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("number_taken", fmt.Sprintf("customer number %s is already in use", c.Number))
		}
		return fmt.Errorf("create contact: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	if c.Identities == nil {
		c.Identities = []domain.Identity{}
	}
	return nil
}

// AddIdentity links id to a contact. When another contact already owns it,
// nothing changes and owner is that contact's id.
func (s *Store) AddIdentity(ctx context.Context, contactID int64, id domain.Identity) (owner int64, err error) {
	var newID int64
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO identities (contact_id, kind, value, created_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (kind, value) DO NOTHING RETURNING id`,
		contactID, id.Kind, id.Value, Now()).Scan(&newID)
	if err == nil {
		return contactID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("add identity %s: %w", id, err)
	}
	err = s.q.QueryRowContext(ctx, "SELECT contact_id FROM identities WHERE kind = $1 AND value = $2", id.Kind, id.Value).Scan(&owner)
	if err != nil {
		return 0, fmt.Errorf("add identity %s: %w", id, err)
	}
	return owner, nil
}

// RemoveIdentity unlinks an identity from a contact.
func (s *Store) RemoveIdentity(ctx context.Context, contactID int64, id domain.Identity) error {
	res, err := s.q.ExecContext(ctx, "DELETE FROM identities WHERE contact_id = $1 AND kind = $2 AND value = $3", contactID, id.Kind, id.Value)
	if err != nil {
		return fmt.Errorf("remove identity %s: %w", id, err)
	}
	return mustAffect(res, "identity "+id.String())
}

// ContactIDByIdentity returns the contact owning id.
func (s *Store) ContactIDByIdentity(ctx context.Context, id domain.Identity) (int64, error) {
	var cid int64
	err := s.q.QueryRowContext(ctx, "SELECT contact_id FROM identities WHERE kind = $1 AND value = $2", id.Kind, id.Value).Scan(&cid)
	if err != nil {
		return 0, notFound("identity "+id.String(), err)
	}
	return cid, nil
}

// Contact returns a contact with its identities.
func (s *Store) Contact(ctx context.Context, id int64) (*domain.Contact, error) {
	c, err := scanContact(s.rq.QueryRowContext(ctx, "SELECT "+contactColumns+" FROM contacts WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("contact %d", id), err)
	}
	return c, s.loadIdentities(ctx, c)
}

// ContactByNumber returns the contact with a customer number, following
// merges to the surviving contact.
func (s *Store) ContactByNumber(ctx context.Context, number string) (*domain.Contact, error) {
	c, err := scanContact(s.rq.QueryRowContext(ctx, "SELECT "+contactColumns+" FROM contacts WHERE number = $1", number))
	if err != nil {
		return nil, notFound("contact "+number, err)
	}
	for hops := 0; c.MergedInto != 0 && hops < 16; hops++ {
		if c, err = s.Contact(ctx, c.MergedInto); err != nil {
			return nil, err
		}
	}
	return c, s.loadIdentities(ctx, c)
}

func (s *Store) loadIdentities(ctx context.Context, c *domain.Contact) error {
	rows, err := s.rq.QueryContext(ctx, "SELECT kind, value FROM identities WHERE contact_id = $1 ORDER BY id", c.ID)
	if err != nil {
		return fmt.Errorf("identities of contact %d: %w", c.ID, err)
	}
	defer rows.Close()
	c.Identities = []domain.Identity{}
	for rows.Next() {
		var id domain.Identity
		if err := rows.Scan(&id.Kind, &id.Value); err != nil {
			return fmt.Errorf("identities of contact %d: %w", c.ID, err)
		}
		c.Identities = append(c.Identities, id)
	}
	return rows.Err()
}

// ContactFilter selects contacts. Query matches the customer number, the
// name or an identity value; AfterID pages by id.
type ContactFilter struct {
	Query   string
	AfterID int64
	Limit   int
	// Viewer, when set, limits the list to the contacts it may see (see
	// domain.ContactsTeam).
	Viewer *domain.Viewer
}

// contactVisibleTo returns an SQL condition on contacts c that holds when
// v may see the contact: it has no ticket yet, or a ticket v may see. arg
// adds a query argument and returns its placeholder.
func contactVisibleTo(v domain.Viewer, arg func(any) string) string {
	return "(NOT EXISTS (SELECT 1 FROM tickets t WHERE t.contact_id = c.id)" +
		" OR EXISTS (SELECT 1 FROM tickets t WHERE t.contact_id = c.id AND " + ticketVisibleTo(v, arg) + "))"
}

// ContactVisible reports whether v may see contact id (see
// domain.ContactsTeam); nil v sees every contact.
func (s *Store) ContactVisible(ctx context.Context, id int64, v *domain.Viewer) (bool, error) {
	if v == nil {
		return true, nil
	}
	args := []any{id}
	var one int
	err := s.rq.QueryRowContext(ctx, "SELECT 1 FROM contacts c WHERE c.id = $1 AND "+contactVisibleTo(*v, argAdder(&args)), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("visibility of contact %d: %w", id, err)
	}
	return true, nil
}

// Contacts lists contacts that have not been merged away, newest last.
func (s *Store) Contacts(ctx context.Context, f ContactFilter) ([]*domain.Contact, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := "SELECT " + contactColumns + " FROM contacts c WHERE merged_into IS NULL AND id > $1"
	args := []any{f.AfterID}
	if f.Query != "" {
		like := "%" + strings.ToLower(f.Query) + "%"
		args = append(args, like, strings.ToLower(f.Query))
		q += ` AND (LOWER(name) LIKE $2 OR LOWER(number) = $3
			OR id IN (SELECT contact_id FROM identities WHERE value LIKE $2))`
	}
	if f.Viewer != nil {
		q += " AND " + contactVisibleTo(*f.Viewer, argAdder(&args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	var out []*domain.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list contacts: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	for _, c := range out {
		if err := s.loadIdentities(ctx, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateContact saves number, name, language, postal address, attributes
// and verified.
func (s *Store) UpdateContact(ctx context.Context, c *domain.Contact) error {
	c.UpdatedAt = Now()
	res, err := s.q.ExecContext(ctx,
		`UPDATE contacts SET number = $2, name = $3, language = $4, attributes = $5, verified = $6, updated_at = $7, address = $8 WHERE id = $1`,
		c.ID, c.Number, c.Name, c.Language, string(c.Attributes), c.Verified, c.UpdatedAt, c.Address)
	if err != nil {
		if isUnique(err) {
			return domain.Invalid("number_taken", fmt.Sprintf("customer number %s is already in use", c.Number))
		}
		return fmt.Errorf("update contact %d: %w", c.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("contact %d", c.ID))
}

// SetOptOut records that a contact does (out) or no longer does not want
// messages on channels of kind.
func (s *Store) SetOptOut(ctx context.Context, contactID int64, kind string, out bool) error {
	var cur string
	if err := s.q.QueryRowContext(ctx, "SELECT opt_outs FROM contacts WHERE id = $1", contactID).Scan(&cur); err != nil {
		return notFound(fmt.Sprintf("contact %d", contactID), err)
	}
	kinds := splitList(cur)
	kinds = slices.DeleteFunc(kinds, func(k string) bool { return k == kind })
	if out {
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	if strings.Join(kinds, ",") == cur {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, "UPDATE contacts SET opt_outs = $2, updated_at = $3 WHERE id = $1", contactID, strings.Join(kinds, ","), Now()); err != nil {
		return fmt.Errorf("opt-out of contact %d: %w", contactID, err)
	}
	return nil
}

// splitList reads a comma-separated list; empty gives an empty list.
func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// MergeContacts moves identities, tickets and authored messages of merged
// into survivor, marks merged as merged and records the merge.
func (s *Store) MergeContacts(ctx context.Context, survivor, merged, agentID int64) error {
	var number string
	if err := s.q.QueryRowContext(ctx, "SELECT number FROM contacts WHERE id = $1", merged).Scan(&number); err != nil {
		return notFound(fmt.Sprintf("contact %d", merged), err)
	}
	now := Now()
	steps := []struct {
		query string
		args  []any
	}{
		{"UPDATE identities SET contact_id = $1 WHERE contact_id = $2", []any{survivor, merged}},
		{"UPDATE tickets SET contact_id = $1, updated_at = $3 WHERE contact_id = $2", []any{survivor, merged, now}},
		{"UPDATE messages SET author_id = $1 WHERE author_type = 'contact' AND author_id = $2", []any{survivor, merged}},
		// A survivor without a postal address takes the merged one's.
		{"UPDATE contacts SET address = (SELECT address FROM contacts WHERE id = $2) WHERE id = $1 AND address = ''", []any{survivor, merged}},
		{"UPDATE contacts SET merged_into = $1, updated_at = $3 WHERE id = $2 OR merged_into = $2", []any{survivor, merged, now}},
	}
	// The survivor keeps every opt-out either contact made.
	var optOuts string
	if err := s.q.QueryRowContext(ctx, "SELECT opt_outs FROM contacts WHERE id = $1", merged).Scan(&optOuts); err != nil {
		return fmt.Errorf("merge contact %d into %d: %w", merged, survivor, err)
	}
	for _, kind := range splitList(optOuts) {
		if err := s.SetOptOut(ctx, survivor, kind, true); err != nil {
			return err
		}
	}
	for _, st := range steps {
		if _, err := s.q.ExecContext(ctx, st.query, st.args...); err != nil {
			return fmt.Errorf("merge contact %d into %d: %w", merged, survivor, err)
		}
	}
	_, err := s.q.ExecContext(ctx,
		"INSERT INTO contact_merges (survivor_id, merged_id, merged_number, agent_id, created_at) VALUES ($1, $2, $3, $4, $5)",
		survivor, merged, number, nullID(agentID), now)
	if err != nil {
		return fmt.Errorf("record merge of contact %d: %w", merged, err)
	}
	return nil
}

// ContactTicketIDs returns the ids of every ticket of a contact, oldest
// first.
func (s *Store) ContactTicketIDs(ctx context.Context, contactID int64) ([]int64, error) {
	return s.int64s(ctx, "SELECT id FROM tickets WHERE contact_id = $1 ORDER BY id", contactID)
}
