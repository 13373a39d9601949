package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"loket.dev/loket/internal/domain"
)

const messageColumns = `id, ticket_id, channel_id, kind, direction, author_type, author_id, address_kind, address, subject,
	body_text, body_html, external_id, delivery_status, delivery_error, raw_sha256, meta, provider_at, send_at, created_at, updated_at, public`

func scanMessage(row interface{ Scan(...any) error }) (*domain.Message, error) {
	var m domain.Message
	var channel nullInt
	var ext nullString
	var addrKind, addr, meta, public string
	err := row.Scan(&m.ID, &m.TicketID, &channel, &m.Kind, &m.Direction, &m.AuthorType, &m.AuthorID, &addrKind, &addr,
		&m.Subject, &m.Text, &m.HTML, &ext, &m.DeliveryStatus, &m.DeliveryError, &m.RawSHA256, &meta, &m.ProviderAt,
		&m.SendAt, &m.CreatedAt, &m.UpdatedAt, &public)
	if err != nil {
		return nil, err
	}
	if public != "" {
		m.Public = new(domain.PublicPost)
		if err := json.Unmarshal([]byte(public), m.Public); err != nil {
			return nil, fmt.Errorf("public post of message %d: %w", m.ID, err)
		}
	}
	m.ChannelID, m.ExternalID, m.HasRaw = channel.Int64, ext.String, m.RawSHA256 != ""
	if addr != "" {
		m.Address = &domain.Identity{Kind: domain.IdentityKind(addrKind), Value: addr}
	}
	if meta != "" && meta != "{}" {
		m.Meta = json.RawMessage(meta)
	}
	m.Attachments = []domain.Attachment{}
	return &m, nil
}

// InsertMessage stores m unless a message with the same (channel,
// external id) exists; inserted is false then and m is left unsaved.
func (s *Store) InsertMessage(ctx context.Context, m *domain.Message) (inserted bool, err error) {
	if m.CreatedAt == 0 {
		m.CreatedAt = Now()
	}
	m.UpdatedAt = m.CreatedAt
	var addrKind, addr string
	if m.Address != nil {
		addrKind, addr = string(m.Address.Kind), m.Address.Value
	}
	meta := "{}"
	if len(m.Meta) > 0 {
		meta = string(m.Meta)
	}
	public, err := encodePublic(m.Public)
	if err != nil {
		return false, err
	}
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO messages (ticket_id, channel_id, kind, direction, author_type, author_id, address_kind, address, subject,
		 body_text, body_html, external_id, delivery_status, delivery_error, raw_sha256, meta, provider_at, send_at, created_at, updated_at, public)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $19, $18, $18, $20)
		 ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id`,
		m.TicketID, nullID(m.ChannelID), m.Kind, m.Direction, m.AuthorType, m.AuthorID, addrKind, addr, m.Subject,
		m.Text, m.HTML, nullStr(m.ExternalID), m.DeliveryStatus, m.DeliveryError, m.RawSHA256, meta, m.ProviderAt,
		m.CreatedAt, m.SendAt, public).Scan(&m.ID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("insert message: %w", err)
	}
	if err := s.AddAttachments(ctx, m.ID, m.Attachments); err != nil {
		return false, err
	}
	return true, nil
}

// MessageByExternalID returns the message a channel knows by a provider id.
func (s *Store) MessageByExternalID(ctx context.Context, channelID int64, externalID string) (*domain.Message, error) {
	m, err := scanMessage(s.q.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE channel_id = $1 AND external_id = $2",
		channelID, externalID))
	if err != nil {
		return nil, notFound("message "+externalID, err)
	}
	return m, nil
}

// Message returns one message with its attachments.
func (s *Store) Message(ctx context.Context, id int64) (*domain.Message, error) {
	m, err := scanMessage(s.rq.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("message %d", id), err)
	}
	return m, s.loadAttachments(ctx, []*domain.Message{m})
}

// Messages returns a ticket's timeline, oldest first, after message id
// afterID, at most limit entries (0: all).
func (s *Store) Messages(ctx context.Context, ticketID, afterID int64, limit int) ([]*domain.Message, error) {
	q := "SELECT " + messageColumns + " FROM messages WHERE ticket_id = $1 AND id > $2 ORDER BY id"
	args := []any{ticketID, afterID}
	if limit > 0 {
		q += " LIMIT $3"
		args = append(args, limit)
	}
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	out := []*domain.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	return out, s.loadAttachments(ctx, out)
}

func (s *Store) loadAttachments(ctx context.Context, msgs []*domain.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[int64]*domain.Message, len(msgs))
	ph := make([]string, len(msgs))
	args := make([]any, len(msgs))
	for i, m := range msgs {
		byID[m.ID] = m
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = m.ID
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT id, message_id, filename, content_type, size, sha256, content_id, inline
		FROM attachments WHERE message_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("load attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a domain.Attachment
		if err := rows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.ContentID, &a.Inline); err != nil {
			return fmt.Errorf("load attachments: %w", err)
		}
		if m := byID[a.MessageID]; m != nil {
			m.Attachments = append(m.Attachments, a)
		}
	}
	return rows.Err()
}

// LastMessages returns the newest limit entries of a ticket's timeline,
// oldest first, and whether older ones exist.
func (s *Store) LastMessages(ctx context.Context, ticketID int64, limit int) ([]*domain.Message, bool, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE ticket_id = $1 ORDER BY id DESC LIMIT $2", ticketID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	out := []*domain.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	slices.Reverse(out)
	return out, more, s.loadAttachments(ctx, out)
}

// LatestInboundAddress returns the address the customer last wrote from
// on a ticket through a channel, or ErrNotFound.
func (s *Store) LatestInboundAddress(ctx context.Context, ticketID, channelID int64) (*domain.Identity, error) {
	var id domain.Identity
	err := s.q.QueryRowContext(ctx, `SELECT address_kind, address FROM messages
		WHERE ticket_id = $1 AND channel_id = $2 AND direction = 'in' AND address <> '' ORDER BY id DESC LIMIT 1`,
		ticketID, channelID).Scan(&id.Kind, &id.Value)
	if err != nil {
		return nil, notFound("inbound address", err)
	}
	return &id, nil
}

// SentThrough returns the outbound messages on a channel to an address,
// created at or before through (Unix milliseconds), that a watermark status
// may still move forward: the latest 100 sent or delivered ones.
func (s *Store) SentThrough(ctx context.Context, channelID int64, to domain.Identity, through int64) ([]*domain.Message, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT m.id FROM identities i
		JOIN tickets t ON t.contact_id = i.contact_id
		JOIN messages m ON m.ticket_id = t.id
		WHERE i.kind = $1 AND i.value = $2 AND m.channel_id = $3 AND m.direction = 'out'
		AND m.created_at <= $4 AND m.delivery_status IN ('sent', 'delivered')
		ORDER BY m.id DESC LIMIT 100`, to.Kind, to.Value, channelID, through)
	if err != nil {
		return nil, fmt.Errorf("messages sent to %s through %d: %w", to, through, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*domain.Message, 0, len(ids))
	for _, id := range ids {
		m, err := s.Message(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// LastInboundAt is when a contact's last message on a channel was stored
// (Unix milliseconds), zero when never: the start of the channel's send
// window. Reports about our messages, stored as the system's, do not count.
func (s *Store) LastInboundAt(ctx context.Context, contactID, channelID int64) (int64, error) {
	var at nullInt
	err := s.q.QueryRowContext(ctx, `SELECT MAX(m.created_at) FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE t.contact_id = $1 AND m.channel_id = $2 AND m.direction = 'in' AND m.author_type = 'contact'`,
		contactID, channelID).Scan(&at)
	if err != nil {
		return 0, fmt.Errorf("last inbound of contact %d on channel %d: %w", contactID, channelID, err)
	}
	return at.Int64, nil
}

// LatestContactAddress is the address a contact last wrote from on a
// channel, on any of their tickets.
func (s *Store) LatestContactAddress(ctx context.Context, contactID, channelID int64) (*domain.Identity, error) {
	var id domain.Identity
	err := s.q.QueryRowContext(ctx, `SELECT m.address_kind, m.address FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE t.contact_id = $1 AND m.channel_id = $2 AND m.direction = 'in' AND m.address <> '' ORDER BY m.id DESC LIMIT 1`,
		contactID, channelID).Scan(&id.Kind, &id.Value)
	if err != nil {
		return nil, notFound("contact address", err)
	}
	return &id, nil
}

// Attachment returns one attachment.
func (s *Store) Attachment(ctx context.Context, id int64) (*domain.Attachment, error) {
	var a domain.Attachment
	err := s.rq.QueryRowContext(ctx, `SELECT id, message_id, filename, content_type, size, sha256, content_id, inline
		FROM attachments WHERE id = $1`, id).
		Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.ContentID, &a.Inline)
	if err != nil {
		return nil, notFound("attachment "+strconv.FormatInt(id, 10), err)
	}
	return &a, nil
}

// SetDelivery saves a message's delivery status, error and external id
// (kept when externalID is empty).
func (s *Store) SetDelivery(ctx context.Context, id int64, status domain.DeliveryStatus, errText, externalID string) error {
	res, err := s.q.ExecContext(ctx,
		`UPDATE messages SET delivery_status = $2, delivery_error = $3,
		 external_id = COALESCE($4, external_id), updated_at = $5 WHERE id = $1`,
		id, status, errText, nullStr(externalID), Now())
	if err != nil {
		return fmt.Errorf("set delivery of message %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("message %d", id))
}

// SetMessageMeta replaces a message's meta, such as when a customer reacts
// to it or edits it.
func (s *Store) SetMessageMeta(ctx context.Context, id int64, meta json.RawMessage) error {
	res, err := s.q.ExecContext(ctx, `UPDATE messages SET meta = $2, updated_at = $3 WHERE id = $1`, id, string(meta), Now())
	if err != nil {
		return fmt.Errorf("set meta of message %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("message %d", id))
}

// IndexText adds the messages stored since its last run to SQLite's
// full-text index, in one statement, and reports how many it added. A
// statement per message made FTS5 write a segment per message and merge
// them endlessly; a batch writes one. It runs every second in the server
// and before each text search, so a search always sees every committed
// message. PostgreSQL maintains its index itself: there it does nothing.
func (s *Store) IndexText(ctx context.Context) (int64, error) {
	if s.dialect != SQLite {
		return 0, nil
	}
	// Most calls find nothing new: tell so from a reader, without taking
	// the write lock from the commits.
	var behind bool
	err := s.rq.QueryRowContext(ctx,
		"SELECT (SELECT COALESCE(MAX(id), 0) FROM messages) > (SELECT last_id FROM text_index WHERE name = 'messages')").Scan(&behind)
	if err != nil {
		return 0, fmt.Errorf("index message text: %w", err)
	}
	if !behind {
		return 0, nil
	}
	var added int64
	err = s.Tx(ctx, func(tx *Store) error {
		var last, upto int64
		if err := tx.q.QueryRowContext(ctx, "SELECT last_id FROM text_index WHERE name = 'messages'").Scan(&last); err != nil {
			return err
		}
		if err := tx.q.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM messages").Scan(&upto); err != nil {
			return err
		}
		if upto <= last {
			return nil
		}
		res, err := tx.q.ExecContext(ctx,
			"INSERT INTO messages_fts (rowid, body_text) SELECT id, body_text FROM messages WHERE id > $1 AND id <= $2", last, upto)
		if err != nil {
			return err
		}
		added, _ = res.RowsAffected()
		_, err = tx.q.ExecContext(ctx, "UPDATE text_index SET last_id = $1 WHERE name = 'messages'", upto)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("index message text: %w", err)
	}
	return added, nil
}

// CheckTextIndex runs SQLite's integrity check of the full-text index
// against the messages it indexes.
func (s *Store) CheckTextIndex(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"); err != nil {
		return fmt.Errorf("check full-text index: %w", err)
	}
	return nil
}

// SetMessageText replaces a message's text, such as when a reviewer
// corrects a reply before approving it; the HTML version is dropped.
func (s *Store) SetMessageText(ctx context.Context, id int64, text string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE messages SET body_text = $2, body_html = '', updated_at = $3 WHERE id = $1`, id, text, Now())
	if err != nil {
		return fmt.Errorf("set text of message %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("message %d", id))
}

// AwaitingApproval lists the replies waiting for a second person, oldest
// first, with the tickets' teams for the caller to filter.
func (s *Store) AwaitingApproval(ctx context.Context, limit int) ([]*domain.Message, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+messageColumns+" FROM messages WHERE delivery_status = 'awaiting_approval' ORDER BY id LIMIT $1", limit)
	out, err := scanAll(rows, err, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("replies awaiting approval: %w", err)
	}
	return out, nil
}

// encodePublic stores a public post's details as JSON; "" for none.
func encodePublic(p *domain.PublicPost) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode public post: %w", err)
	}
	return string(b), nil
}

// SetMessagePublic saves a public post's details, such as its being hidden
// on the site.
func (s *Store) SetMessagePublic(ctx context.Context, id int64, p *domain.PublicPost) error {
	public, err := encodePublic(p)
	if err != nil {
		return err
	}
	res, err := s.q.ExecContext(ctx, "UPDATE messages SET public = $2, updated_at = $3 WHERE id = $1", id, public, Now())
	if err != nil {
		return fmt.Errorf("set public post of message %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("message %d", id))
}

// LatestPublicInbound returns the customer's latest public post on a
// ticket by a channel: the one a public reply answers.
func (s *Store) LatestPublicInbound(ctx context.Context, ticketID, channelID int64) (*domain.Message, error) {
	m, err := scanMessage(s.q.QueryRowContext(ctx, "SELECT "+messageColumns+
		" FROM messages WHERE ticket_id = $1 AND channel_id = $2 AND direction = 'in' AND public <> '' AND external_id IS NOT NULL ORDER BY id DESC LIMIT 1",
		ticketID, channelID))
	if err != nil {
		return nil, notFound(fmt.Sprintf("public post on ticket %d", ticketID), err)
	}
	return m, nil
}
