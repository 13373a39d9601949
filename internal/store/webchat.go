package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"loket.dev/loket/internal/domain"
)

// WebchatVisitor is a browser that chats through a website chat channel.
// It is known by a token only its browser holds; the store keeps the
// token's SHA-256.
type WebchatVisitor struct {
	ID        int64
	ChannelID int64
	// PublicID is the visitor's identity value (web:<PublicID>); it is
	// never the token.
	PublicID string
	// UserID is the site's own user id when the site vouched for the
	// visitor with an identity signature; empty for anonymous visitors.
	UserID string
	// Name and Email come from the pre-chat form (unverified) or from the
	// site's signed identity.
	Name      string
	Email     string
	Language  string
	CreatedAt int64
	SeenAt    int64
	// TokenAt is when the visitor's current token was issued.
	TokenAt int64
}

const visitorColumns = "id, channel_id, public_id, user_id, name, email, language, created_at, seen_at, token_at"

func scanVisitor(row interface{ Scan(...any) error }) (*WebchatVisitor, error) {
	var v WebchatVisitor
	err := row.Scan(&v.ID, &v.ChannelID, &v.PublicID, &v.UserID, &v.Name, &v.Email, &v.Language, &v.CreatedAt, &v.SeenAt, &v.TokenAt)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateWebchatVisitor stores a new visitor with the hash of its token.
func (s *Store) CreateWebchatVisitor(ctx context.Context, v *WebchatVisitor, tokenHash string) error {
	now := Now()
	v.CreatedAt, v.SeenAt, v.TokenAt = now, now, now
	err := s.q.QueryRowContext(ctx,
		`INSERT INTO webchat_visitors (channel_id, public_id, token_hash, user_id, name, email, language, created_at, seen_at, token_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id`,
		v.ChannelID, v.PublicID, tokenHash, v.UserID, v.Name, v.Email, v.Language, now).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create webchat visitor: %w", err)
	}
	return nil
}

// WebchatVisitorByToken returns the visitor of a channel holding the token
// with this hash, or ErrNotFound.
func (s *Store) WebchatVisitorByToken(ctx context.Context, channelID int64, tokenHash string) (*WebchatVisitor, error) {
	v, err := scanVisitor(s.rq.QueryRowContext(ctx,
		"SELECT "+visitorColumns+" FROM webchat_visitors WHERE token_hash = $1 AND channel_id = $2", tokenHash, channelID))
	if err != nil {
		return nil, notFound("webchat visitor", err)
	}
	return v, nil
}

// RotateWebchatToken gives a visitor a new token (by its hash) issued at
// at; the old one no longer works.
func (s *Store) RotateWebchatToken(ctx context.Context, id int64, tokenHash string, at int64) error {
	res, err := s.q.ExecContext(ctx, "UPDATE webchat_visitors SET token_hash = $2, token_at = $3 WHERE id = $1", id, tokenHash, at)
	if err != nil {
		return fmt.Errorf("rotate token of webchat visitor %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("webchat visitor %d", id))
}

// UpdateWebchatVisitor saves a visitor's name, e-mail, language and when
// it was last seen.
func (s *Store) UpdateWebchatVisitor(ctx context.Context, v *WebchatVisitor) error {
	res, err := s.q.ExecContext(ctx, "UPDATE webchat_visitors SET name = $2, email = $3, language = $4, seen_at = $5 WHERE id = $1",
		v.ID, v.Name, v.Email, v.Language, v.SeenAt)
	if err != nil {
		return fmt.Errorf("update webchat visitor %d: %w", v.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("webchat visitor %d", v.ID))
}

// WebchatConversation is one chat of a visitor: a thread of the channel,
// with the state of the ticket that thread leads to.
type WebchatConversation struct {
	ID        int64
	VisitorID int64
	ChannelID int64
	ThreadKey string
	// Ticket fields; zero until the conversation's first message.
	TicketID       int64
	Status         domain.TicketStatus
	BotState       string
	CSATScore      int
	LastCustomerAt int64
	LastAgentAt    int64
	// AgentReadAt is when an agent last had the ticket open.
	AgentReadAt int64
	CreatedAt   int64
}

const conversationSelect = `SELECT c.id, c.visitor_id, c.channel_id, c.thread_key, c.agent_read_at, c.created_at,
	t.id, t.status, t.bot_state, t.csat_score, t.last_customer_at, t.last_agent_at
	FROM webchat_conversations c
	LEFT JOIN ticket_threads th ON th.channel_id = c.channel_id AND th.thread_key = c.thread_key
	LEFT JOIN tickets t ON t.id = th.ticket_id `

func scanConversation(row interface{ Scan(...any) error }) (*WebchatConversation, error) {
	var c WebchatConversation
	var ticket, score, lastCustomer, lastAgent nullInt
	var status, bot nullString
	err := row.Scan(&c.ID, &c.VisitorID, &c.ChannelID, &c.ThreadKey, &c.AgentReadAt, &c.CreatedAt,
		&ticket, &status, &bot, &score, &lastCustomer, &lastAgent)
	if err != nil {
		return nil, err
	}
	c.TicketID, c.Status, c.BotState = ticket.Int64, domain.TicketStatus(status.String), bot.String
	c.CSATScore, c.LastCustomerAt, c.LastAgentAt = int(score.Int64), lastCustomer.Int64, lastAgent.Int64
	return &c, nil
}

// CreateWebchatConversation starts a conversation of a visitor on its own
// thread key; its ticket is opened by the first message.
func (s *Store) CreateWebchatConversation(ctx context.Context, c *WebchatConversation) error {
	c.CreatedAt = Now()
	err := s.q.QueryRowContext(ctx,
		"INSERT INTO webchat_conversations (visitor_id, channel_id, thread_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
		c.VisitorID, c.ChannelID, c.ThreadKey, c.CreatedAt).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create webchat conversation: %w", err)
	}
	return nil
}

// WebchatConversations lists what a visitor may read, oldest first: its
// own conversations, and for a verified visitor those of every visitor the
// site vouched for as the same user on this channel (their other devices).
func (s *Store) WebchatConversations(ctx context.Context, v *WebchatVisitor) ([]*WebchatConversation, error) {
	q, args := conversationSelect+"WHERE c.visitor_id = $1 ORDER BY c.id", []any{v.ID}
	if v.UserID != "" {
		q = conversationSelect + `WHERE c.visitor_id IN (SELECT id FROM webchat_visitors WHERE channel_id = $1 AND user_id = $2)
			ORDER BY c.id`
		args = []any{v.ChannelID, v.UserID}
	}
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("conversations of webchat visitor %d: %w", v.ID, err)
	}
	defer rows.Close()
	out := []*WebchatConversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations of webchat visitor %d: %w", v.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WebchatConversationByTicket returns the conversation a ticket belongs to
// and its visitor, or ErrNotFound when the ticket is no website chat.
func (s *Store) WebchatConversationByTicket(ctx context.Context, ticketID int64) (*WebchatConversation, *WebchatVisitor, error) {
	c, err := scanConversation(s.rq.QueryRowContext(ctx, conversationSelect+"WHERE th.ticket_id = $1 ORDER BY c.id DESC LIMIT 1", ticketID))
	if err != nil {
		return nil, nil, notFound(fmt.Sprintf("webchat conversation of ticket %d", ticketID), err)
	}
	v, err := scanVisitor(s.rq.QueryRowContext(ctx, "SELECT "+visitorColumns+" FROM webchat_visitors WHERE id = $1", c.VisitorID))
	if err != nil {
		return nil, nil, notFound(fmt.Sprintf("webchat visitor %d", c.VisitorID), err)
	}
	return c, v, nil
}

// MarkWebchatAgentRead records that an agent had a ticket open at at; the
// time only moves forward.
func (s *Store) MarkWebchatAgentRead(ctx context.Context, ticketID, at int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE webchat_conversations SET agent_read_at = $2
		WHERE agent_read_at < $2 AND id IN (SELECT c.id FROM webchat_conversations c
		JOIN ticket_threads th ON th.channel_id = c.channel_id AND th.thread_key = c.thread_key WHERE th.ticket_id = $1)`, ticketID, at)
	if err != nil {
		return fmt.Errorf("mark ticket %d read: %w", ticketID, err)
	}
	return nil
}

// WebchatMessages returns what a visitor sees of tickets, oldest first,
// after message id afterID, at most limit: the messages that went in or
// out through the chat channel, outbound ones once the channel has
// delivered them. Notes, events and other channels' messages stay hidden.
func (s *Store) WebchatMessages(ctx context.Context, channelID int64, ticketIDs []int64, afterID int64, limit int) ([]*domain.Message, error) {
	out := []*domain.Message{}
	if len(ticketIDs) == 0 {
		return out, nil
	}
	args := []any{channelID, afterID, limit}
	ph := make([]string, len(ticketIDs))
	for i, id := range ticketIDs {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(len(args))
	}
	rows, err := s.rq.QueryContext(ctx, "SELECT "+messageColumns+` FROM messages
		WHERE ticket_id IN (`+strings.Join(ph, ", ")+`) AND channel_id = $1 AND id > $2 AND kind = 'message'
		AND (direction = 'in' OR delivery_status IN ('sent', 'delivered', 'read'))
		ORDER BY id LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("webchat messages: %w", err)
	}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("webchat messages: %w", err)
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webchat messages: %w", err)
	}
	return out, s.loadAttachments(ctx, out)
}

// RateTicket stores a customer's satisfaction rating on a ticket.
func (s *Store) RateTicket(ctx context.Context, ticketID int64, score int, comment string, at int64) error {
	res, err := s.q.ExecContext(ctx,
		"UPDATE tickets SET csat_score = $2, csat_comment = $3, csat_at = $4, updated_at = $4 WHERE id = $1",
		ticketID, score, comment, at)
	if err != nil {
		return fmt.Errorf("rate ticket %d: %w", ticketID, err)
	}
	return mustAffect(res, fmt.Sprintf("ticket %d", ticketID))
}
