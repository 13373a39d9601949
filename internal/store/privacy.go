package store

import (
	"context"
	"fmt"
)

// ErasedName is what an erased contact is called from then on.
const ErasedName = "Erased contact"

// EraseContact removes what identifies a contact and what they wrote, in
// the surrounding transaction, and returns the blobs (attachments and
// kept originals) no other message refers to any more, for the caller to
// delete once the transaction has committed. What reports count stays:
// the contact and ticket rows, timeline entries with their kinds and
// times, the calls' times and outcomes, survey scores.
func (s *Store) EraseContact(ctx context.Context, contactID int64, now int64) ([]string, error) {
	for _, q := range []string{
		`UPDATE webchat_visitors SET name = '', email = '', user_id = ''
		 WHERE public_id IN (SELECT value FROM identities WHERE contact_id = $1 AND kind = 'web')
		 OR (user_id <> '' AND user_id IN (SELECT value FROM identities WHERE contact_id = $1 AND kind = 'web'))`,
		`DELETE FROM identities WHERE contact_id = $1`,
		`UPDATE contacts SET name = '` + ErasedName + `', attributes = '{}', verified = FALSE WHERE id = $1`,
		`UPDATE contact_events SET data = '{}' WHERE contact_id = $1`,
		`UPDATE campaign_recipients SET detail = '' WHERE contact_id = $1`,
	} {
		if _, err := s.q.ExecContext(ctx, q, contactID); err != nil {
			return nil, fmt.Errorf("erase contact %d: %w", contactID, err)
		}
	}
	return s.eraseTickets(ctx, "SELECT id FROM tickets WHERE contact_id = $1", contactID, now)
}

// EraseTickets removes the content of tickets, in the surrounding
// transaction: subjects, comments, and the text, attachments and
// originals of their entries. It returns the blobs no message refers to
// any more, as EraseContact does.
func (s *Store) EraseTickets(ctx context.Context, ids []int64, now int64) ([]string, error) {
	var blobs []string
	for _, id := range ids {
		b, err := s.eraseTickets(ctx, "SELECT id FROM tickets WHERE id = $1", id, now)
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, b...)
	}
	return blobs, nil
}

// eraseTickets erases the tickets the query tickets selects with arg as $1.
func (s *Store) eraseTickets(ctx context.Context, tickets string, arg any, now int64) ([]string, error) {
	messages := "SELECT id FROM messages WHERE ticket_id IN (" + tickets + ")"
	blobs, err := s.strings(ctx,
		`SELECT sha256 FROM attachments WHERE message_id IN (`+messages+`)
		 UNION SELECT raw_sha256 FROM messages WHERE ticket_id IN (`+tickets+`) AND raw_sha256 <> ''`, arg)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`DELETE FROM attachments WHERE message_id IN (` + messages + `)`,
		// Replies not sent yet are not sent at all: their text is gone.
		`UPDATE outbox SET state = 'failed', last_error = 'erased' WHERE state = 'pending' AND message_id IN (` + messages + `)`,
		`UPDATE messages SET delivery_status = 'cancelled'
		 WHERE ticket_id IN (` + tickets + `) AND delivery_status IN ('queued', 'scheduled', 'awaiting_approval')`,
		`UPDATE messages SET subject = '', body_text = '', body_html = '', meta = '{}', address_kind = '', address = '',
		 raw_sha256 = '', delivery_error = '' WHERE ticket_id IN (` + tickets + `)`,
		`UPDATE calls SET customer = '', call_id = 'erased-' || message_id WHERE ticket_id IN (` + tickets + `)`,
		`DELETE FROM ticket_threads WHERE ticket_id IN (` + tickets + `)`,
		`UPDATE surveys SET comment = '' WHERE ticket_id IN (` + tickets + `)`,
	} {
		if _, err := s.q.ExecContext(ctx, q, arg); err != nil {
			return nil, fmt.Errorf("erase tickets: %w", err)
		}
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE tickets SET subject = '', csat_comment = '', erased_at = $2 WHERE id IN (`+tickets+`)`, arg, now); err != nil {
		return nil, fmt.Errorf("erase tickets: %w", err)
	}
	var unused []string
	for _, sha := range blobs {
		var n int
		err := s.q.QueryRowContext(ctx,
			`SELECT (SELECT COUNT(*) FROM attachments WHERE sha256 = $1) + (SELECT COUNT(*) FROM messages WHERE raw_sha256 = $1)`, sha).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("erase tickets: %w", err)
		}
		if n == 0 {
			unused = append(unused, sha)
		}
	}
	return unused, nil
}

// Retained lists the ids of a channel's tickets solved before before
// whose content is not erased yet, at most limit, oldest first.
func (s *Store) Retained(ctx context.Context, channelID, before int64, limit int) ([]int64, error) {
	return s.int64s(ctx, `SELECT id FROM tickets WHERE channel_id = $1 AND erased_at = 0 AND solved_at > 0 AND solved_at < $2
		AND status IN ('solved', 'closed') ORDER BY solved_at, id LIMIT $3`, channelID, before, limit)
}

func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
