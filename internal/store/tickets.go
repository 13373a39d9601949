package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"loket.dev/loket/internal/domain"
)

const ticketColumns = `t.id, t.number, t.contact_id, t.subject, t.status, t.priority, t.team_id, t.assignee_id, t.channel_id,
	t.follow_up_of, t.first_customer_at, t.first_response_at, t.last_customer_at, t.solved_at, t.last_agent_at, t.created_at, t.updated_at,
	t.sla_policy, t.first_response_due, t.next_response_due, t.resolution_due, t.sla_due, t.sla_breached, t.sla_flags,
	t.sla_paused_at, t.sla_paused_ms, t.sla_next_check, t.skills, t.bot_state, t.csat_score, t.csat_comment, t.csat_at, t.public`

// listColumns add to ticketColumns, for lists, the requester's name (or
// customer number) and the start of the newest message: a lookup by the
// primary key and one seek on messages (ticket_id, id) per row, in the
// same query.
const listColumns = `COALESCE(NULLIF(c.name, ''), c.number, ''),
	COALESCE((SELECT substr(m.body_text, 1, ` + previewChars + `) FROM messages m WHERE m.ticket_id = t.id AND m.kind = 'message'
	 ORDER BY m.id DESC LIMIT 1), '')`

// previewChars is how much of the newest message a ticket list shows.
const previewChars = "160"

func scanTicket(row interface{ Scan(...any) error }, extra ...any) (*domain.Ticket, error) {
	var t domain.Ticket
	var team, assignee, channel, follow nullInt
	var skills string
	dest := append([]any{&t.ID, &t.Number, &t.ContactID, &t.Subject, &t.Status, &t.Priority, &team, &assignee, &channel,
		&follow, &t.FirstCustomerAt, &t.FirstResponseAt, &t.LastCustomerAt, &t.SolvedAt, &t.LastAgentAt, &t.CreatedAt, &t.UpdatedAt,
		&t.SLAPolicy, &t.FirstResponseDue, &t.NextResponseDue, &t.ResolutionDue, &t.SLADue, &t.SLABreached, &t.SLAFlags,
		&t.SLAPausedAt, &t.SLAPausedMs, &t.SLANextCheck, &skills, &t.BotState, &t.CSATScore, &t.CSATComment, &t.CSATAt, &t.Public}, extra...)
	err := row.Scan(dest...)
	if err != nil {
		return nil, err
	}
	if t.Skills, err = decodeStrings(skills); err != nil {
		return nil, fmt.Errorf("skills of ticket %d: %w", t.ID, err)
	}
	t.TeamID, t.AssigneeID, t.ChannelID, t.FollowUpOf = team.Int64, assignee.Int64, channel.Int64, follow.Int64
	t.Tags = []string{}
	return &t, nil
}

// CreateTicket stores a ticket with the next ticket number.
func (s *Store) CreateTicket(ctx context.Context, t *domain.Ticket) error {
	n, err := s.nextNumber(ctx, "ticket_number")
	if err != nil {
		return err
	}
	t.Number = n
	if t.CreatedAt == 0 {
		t.CreatedAt = Now()
	}
	t.UpdatedAt = t.CreatedAt
	err = s.q.QueryRowContext(ctx,
		`INSERT INTO tickets (number, contact_id, subject, status, priority, team_id, assignee_id, channel_id, follow_up_of,
		 first_customer_at, last_customer_at, created_at, updated_at, skills, bot_state, public)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15) RETURNING id`,
		t.Number, t.ContactID, t.Subject, t.Status, t.Priority, nullID(t.TeamID), nullID(t.AssigneeID), nullID(t.ChannelID),
		nullID(t.FollowUpOf), t.FirstCustomerAt, t.LastCustomerAt, t.CreatedAt, encodeStrings(t.Skills), t.BotState, t.Public).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	if t.Skills == nil {
		t.Skills = []string{}
	}
	return nil
}

// UpdateTicket saves every mutable field of t except its tags (SetTags)
// and its rating. A ticket moved to another team takes its counts in the
// hourly report rollup along, in the same transaction.
func (s *Store) UpdateTicket(ctx context.Context, t *domain.Ticket) error {
	if t.UpdatedAt == 0 {
		t.UpdatedAt = Now()
	}
	return s.Tx(ctx, func(tx *Store) error {
		q := "SELECT team_id FROM tickets WHERE id = $1"
		if tx.dialect == Postgres {
			q += " FOR UPDATE"
		}
		var team sql.NullInt64
		if err := tx.q.QueryRowContext(ctx, q, t.ID).Scan(&team); err != nil {
			return notFound(fmt.Sprintf("ticket %d", t.ID), err)
		}
		if err := tx.updateTicket(ctx, t); err != nil {
			return err
		}
		if team.Int64 != t.TeamID {
			return tx.moveReportCounts(ctx, t.ID, team.Int64, t.TeamID)
		}
		return nil
	})
}

func (s *Store) updateTicket(ctx context.Context, t *domain.Ticket) error {
	res, err := s.q.ExecContext(ctx,
		`UPDATE tickets SET contact_id = $2, subject = $3, status = $4, priority = $5, team_id = $6, assignee_id = $7,
		 first_customer_at = $8, first_response_at = $9, last_customer_at = $10, solved_at = $11, updated_at = $12,
		 last_agent_at = $13, sla_policy = $14, first_response_due = $15, next_response_due = $16, resolution_due = $17,
		 sla_due = $18, sla_breached = $19, sla_flags = $20, sla_paused_at = $21, sla_paused_ms = $22, sla_next_check = $23,
		 skills = $24, bot_state = $25
		 WHERE id = $1`,
		t.ID, t.ContactID, t.Subject, t.Status, t.Priority, nullID(t.TeamID), nullID(t.AssigneeID),
		t.FirstCustomerAt, t.FirstResponseAt, t.LastCustomerAt, t.SolvedAt, t.UpdatedAt,
		t.LastAgentAt, t.SLAPolicy, t.FirstResponseDue, t.NextResponseDue, t.ResolutionDue,
		t.SLADue, t.SLABreached, t.SLAFlags, t.SLAPausedAt, t.SLAPausedMs, t.SLANextCheck,
		encodeStrings(t.Skills), t.BotState)
	if err != nil {
		if isForeignKey(err) {
			return domain.Invalid("unknown_reference", "the team or assignee does not exist")
		}
		return fmt.Errorf("update ticket %d: %w", t.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("ticket %d", t.ID))
}

// SetTags replaces a ticket's tags.
func (s *Store) SetTags(ctx context.Context, ticketID int64, tags []string) error {
	if _, err := s.q.ExecContext(ctx, "DELETE FROM ticket_tags WHERE ticket_id = $1", ticketID); err != nil {
		return fmt.Errorf("tags of ticket %d: %w", ticketID, err)
	}
	for _, tag := range tags {
		if _, err := s.q.ExecContext(ctx, "INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)", ticketID, tag); err != nil {
			return fmt.Errorf("tags of ticket %d: %w", ticketID, err)
		}
	}
	return nil
}

// Ticket returns a ticket with its tags.
func (s *Store) Ticket(ctx context.Context, id int64) (*domain.Ticket, error) {
	return s.ticketWhere(ctx, "t.id = $1", id)
}

// TicketByNumber returns the ticket with a human number.
func (s *Store) TicketByNumber(ctx context.Context, number int64) (*domain.Ticket, error) {
	return s.ticketWhere(ctx, "t.number = $1", number)
}

func (s *Store) ticketWhere(ctx context.Context, cond string, arg any) (*domain.Ticket, error) {
	t, err := scanTicket(s.rq.QueryRowContext(ctx, "SELECT "+ticketColumns+" FROM tickets t WHERE "+cond, arg))
	if err != nil {
		return nil, notFound(fmt.Sprintf("ticket %v", arg), err)
	}
	rows, err := s.rq.QueryContext(ctx, "SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag", t.ID)
	if err != nil {
		return nil, fmt.Errorf("tags of ticket %d: %w", t.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("tags of ticket %d: %w", t.ID, err)
		}
		t.Tags = append(t.Tags, tag)
	}
	return t, rows.Err()
}

// LatestTicketOnChannel returns the contact's most recent ticket on the
// channel, or ErrNotFound.
func (s *Store) LatestTicketOnChannel(ctx context.Context, contactID, channelID int64) (*domain.Ticket, error) {
	var id int64
	err := s.q.QueryRowContext(ctx,
		`SELECT id FROM tickets WHERE contact_id = $1 AND channel_id = $2 AND NOT public ORDER BY id DESC LIMIT 1`,
		contactID, channelID).Scan(&id)
	if err != nil {
		return nil, notFound("open ticket", err)
	}
	return s.Ticket(ctx, id)
}

// TicketByThread returns the ticket a channel's thread key belongs to.
func (s *Store) TicketByThread(ctx context.Context, channelID int64, key string) (*domain.Ticket, error) {
	var id int64
	err := s.q.QueryRowContext(ctx, "SELECT ticket_id FROM ticket_threads WHERE channel_id = $1 AND thread_key = $2", channelID, key).Scan(&id)
	if err != nil {
		return nil, notFound("thread "+key, err)
	}
	return s.Ticket(ctx, id)
}

// SetThread points a channel's thread key at a ticket.
func (s *Store) SetThread(ctx context.Context, channelID int64, key string, ticketID int64) error {
	_, err := s.q.ExecContext(ctx,
		`INSERT INTO ticket_threads (channel_id, thread_key, ticket_id) VALUES ($1, $2, $3)
		 ON CONFLICT (channel_id, thread_key) DO UPDATE SET ticket_id = excluded.ticket_id`, channelID, key, ticketID)
	if err != nil {
		return fmt.Errorf("set thread %s: %w", key, err)
	}
	return nil
}

// TicketFilter selects tickets for a list. Zero fields do not filter;
// AssigneeID -1 means unassigned.
type TicketFilter struct {
	Viewer     domain.Viewer
	Statuses   []domain.TicketStatus
	TeamID     int64
	AssigneeID int64
	ChannelID  int64
	ContactID  int64
	Priority   domain.Priority
	Tag        string
	Text       string
	Breached   bool // only tickets that missed an SLA target
	// SortDue lists tickets with a running SLA, the earliest due first,
	// instead of the most recently updated first.
	SortDue bool
	Cursor  string
	Limit   int
}

// TicketPage is one page of a ticket list; Next is the cursor of the
// following page, empty at the end.
type TicketPage struct {
	Tickets []*domain.Ticket `json:"tickets"`
	Next    string           `json:"next,omitempty"`
}

// argAdder returns a function that appends a query argument to args and
// returns its placeholder ($1, $2, ...).
func argAdder(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

// ticketVisibleTo returns an SQL condition on tickets t that holds when an
// agent who does not see every ticket may see t: it is assigned to them or
// in one of their teams.
func ticketVisibleTo(v domain.Viewer, arg func(any) string) string {
	cond := "t.assignee_id = " + arg(v.AgentID)
	if len(v.TeamIDs) > 0 {
		ids := make([]string, len(v.TeamIDs))
		for i, id := range v.TeamIDs {
			ids[i] = arg(id)
		}
		cond += " OR t.team_id IN (" + strings.Join(ids, ", ") + ")"
	}
	return "(" + cond + ")"
}

// Tickets lists the tickets f selects that its viewer may see, most
// recently updated first.
func (s *Store) Tickets(ctx context.Context, f TicketFilter) (*TicketPage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := argAdder(&args)
	if !f.Viewer.Role.SeesAllTickets() {
		where = append(where, ticketVisibleTo(f.Viewer, arg))
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = arg(string(st))
		}
		where = append(where, "t.status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.TeamID != 0 {
		where = append(where, "t.team_id = "+arg(f.TeamID))
	}
	switch {
	case f.AssigneeID == -1:
		where = append(where, "t.assignee_id IS NULL")
	case f.AssigneeID != 0:
		where = append(where, "t.assignee_id = "+arg(f.AssigneeID))
	}
	if f.ChannelID != 0 {
		where = append(where, "t.channel_id = "+arg(f.ChannelID))
	}
	if f.ContactID != 0 {
		where = append(where, "t.contact_id = "+arg(f.ContactID))
	}
	if f.Priority != "" {
		where = append(where, "t.priority = "+arg(string(f.Priority)))
	}
	if f.Tag != "" {
		where = append(where, "t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = "+arg(f.Tag)+")")
	}
	if f.Text = strings.TrimSpace(f.Text); f.Text != "" {
		if _, err := s.IndexText(ctx); err != nil {
			return nil, err
		}
		sub := s.textMatch(len(args) + 1)
		args = append(args, s.textQuery(f.Text))
		like := arg("%" + strings.ToLower(f.Text) + "%")
		where = append(where, "(LOWER(t.subject) LIKE "+like+" OR t.id IN (SELECT m.ticket_id FROM messages m WHERE "+sub+"))")
	}
	if f.Breached {
		where = append(where, "t.sla_breached = "+arg(true))
	}
	key, order, before := "t.updated_at", " ORDER BY t.updated_at DESC, t.id DESC", "<"
	if f.SortDue {
		key, order, before = "t.sla_due", " ORDER BY t.sla_due, t.id", ">"
		where = append(where, "t.sla_due > 0")
	}
	if f.Cursor != "" {
		k, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		ka, ia := arg(k), arg(id)
		where = append(where, "("+key+" "+before+" "+ka+" OR ("+key+" = "+ka+" AND t.id "+before+" "+ia+"))")
	}
	q := "SELECT " + ticketColumns + ", " + listColumns + " FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += order + " LIMIT " + arg(f.Limit+1)
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	page := &TicketPage{Tickets: []*domain.Ticket{}}
	for rows.Next() {
		var requester, last string
		t, err := scanTicket(rows, &requester, &last)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		t.Requester, t.LastMessage = requester, strings.Join(strings.Fields(last), " ")
		page.Tickets = append(page.Tickets, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	if len(page.Tickets) > f.Limit {
		page.Tickets = page.Tickets[:f.Limit]
		last := page.Tickets[f.Limit-1]
		if f.SortDue {
			page.Next = encodeCursor(last.SLADue, last.ID)
		} else {
			page.Next = encodeCursor(last.UpdatedAt, last.ID)
		}
	}
	return page, s.loadTags(ctx, page.Tickets)
}

func (s *Store) loadTags(ctx context.Context, tickets []*domain.Ticket) error {
	if len(tickets) == 0 {
		return nil
	}
	byID := make(map[int64]*domain.Ticket, len(tickets))
	ph := make([]string, len(tickets))
	args := make([]any, len(tickets))
	for i, t := range tickets {
		byID[t.ID] = t
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = t.ID
	}
	rows, err := s.rq.QueryContext(ctx, "SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN ("+strings.Join(ph, ", ")+") ORDER BY tag", args...)
	if err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return fmt.Errorf("load tags: %w", err)
		}
		byID[id].Tags = append(byID[id].Tags, tag)
	}
	return rows.Err()
}

// textQuery turns user text into a query of plain words: on SQLite every
// word is quoted so FTS5 operators in the input cannot break the query.
func (s *Store) textQuery(text string) string {
	if s.dialect == Postgres {
		return text
	}
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(words, " ")
}

func encodeCursor(updated, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(updated, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (updated, id int64, err error) {
	bad := domain.Invalid("invalid_cursor", "the cursor is not one this API returned; start again without it")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, bad
	}
	u, i, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, 0, bad
	}
	if updated, err = strconv.ParseInt(u, 10, 64); err != nil {
		return 0, 0, bad
	}
	if id, err = strconv.ParseInt(i, 10, 64); err != nil {
		return 0, 0, bad
	}
	return updated, id, nil
}

// encodeStrings stores a list of strings as a JSON array.
func encodeStrings(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeStrings(s string) ([]string, error) {
	out := []string{}
	if s == "" || s == "[]" {
		return out, nil
	}
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// BreachedOpenTickets counts tickets not yet solved or closed that missed
// an SLA target.
func (s *Store) BreachedOpenTickets(ctx context.Context) (int, error) {
	var n int
	err := s.rq.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE sla_breached AND status NOT IN ('solved', 'closed')").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count breached tickets: %w", err)
	}
	return n, nil
}
