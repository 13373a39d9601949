package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"loket.dev/loket/internal/domain"
)

// SaveCall writes a call: the whole call as its entry's meta (what the
// timeline shows) and the columns of the calls table that routing, the
// switchboard and reports query. The entry (c.MessageID) must exist.
func (s *Store) SaveCall(ctx context.Context, c *domain.Call) error {
	meta, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode call %s: %w", c.CallID, err)
	}
	now := Now()
	_, err = s.q.ExecContext(ctx,
		`UPDATE messages SET meta = $2, body_text = $3, external_id = $4, updated_at = $5 WHERE id = $1`,
		c.MessageID, string(meta), c.Summary(), c.CallID, now)
	if err != nil {
		return fmt.Errorf("save call entry %d: %w", c.MessageID, err)
	}
	_, err = s.q.ExecContext(ctx,
		`INSERT INTO calls (message_id, channel_id, call_id, ticket_id, contact_id, direction, customer, line, state, cause,
		 agent_id, missed, callback_at, started_at, answered_at, ended_at, busy_until, called_back_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		 ON CONFLICT (message_id) DO UPDATE SET call_id = $3, ticket_id = $4, contact_id = $5, customer = $7, line = $8,
		 state = $9, cause = $10, agent_id = $11, missed = $12, callback_at = $13, answered_at = $15, ended_at = $16,
		 busy_until = $17, called_back_at = $18`,
		c.MessageID, c.ChannelID, c.CallID, c.TicketID, c.ContactID, c.Direction, c.Customer, c.Line, c.State, c.Cause,
		c.AgentID, c.Missed, c.CallbackAt, c.StartedAt, c.AnsweredAt, c.EndedAt, c.BusyUntil, c.CalledBackAt)
	if err != nil {
		return fmt.Errorf("save call %s: %w", c.CallID, err)
	}
	return nil
}

// Call returns the call with the telephone system's id on a channel.
func (s *Store) Call(ctx context.Context, channelID int64, callID string) (*domain.Call, error) {
	return s.oneCall(ctx, fmt.Sprintf("call %s", callID), "c.channel_id = $1 AND c.call_id = $2", channelID, callID)
}

// CallOfMessage returns the call a timeline entry records.
func (s *Store) CallOfMessage(ctx context.Context, messageID int64) (*domain.Call, error) {
	return s.oneCall(ctx, fmt.Sprintf("call of message %d", messageID), "c.message_id = $1", messageID)
}

// PendingDial returns the newest call an agent asked Loket to place from
// the extension line on the channel since since, that the telephone system
// has not reported yet.
func (s *Store) PendingDial(ctx context.Context, channelID int64, line string, since int64) (*domain.Call, error) {
	return s.oneCall(ctx, "dialing call from "+line,
		"c.channel_id = $1 AND c.line = $2 AND c.state = 'dialing' AND c.started_at >= $3 ORDER BY c.started_at DESC LIMIT 1",
		channelID, line, since)
}

func (s *Store) oneCall(ctx context.Context, what, where string, args ...any) (*domain.Call, error) {
	var meta string
	err := s.q.QueryRowContext(ctx, "SELECT m.meta FROM calls c JOIN messages m ON m.id = c.message_id WHERE "+where, args...).Scan(&meta)
	if err != nil {
		return nil, notFound(what, err)
	}
	var c domain.Call
	if err := json.Unmarshal([]byte(meta), &c); err != nil {
		return nil, fmt.Errorf("decode %s: %w", what, err)
	}
	return &c, nil
}

// CallFilter selects calls for the call log; zero fields select all.
type CallFilter struct {
	TicketID int64
	AgentID  int64
	State    domain.CallState
	// Missed selects missed calls nobody has called back yet.
	Missed bool
	Before int64 // message id, for paging back
	Limit  int
}

// CallRow is a call in the call log, with who called and the ticket.
type CallRow struct {
	*domain.Call
	ContactName  string `json:"contact_name"`
	TicketNumber int64  `json:"ticket_number"`
}

// Calls returns calls, newest first.
func (s *Store) Calls(ctx context.Context, f CallFilter) ([]CallRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.TicketID != 0 {
		add("c.ticket_id = $%d", f.TicketID)
	}
	if f.AgentID != 0 {
		add("c.agent_id = $%d", f.AgentID)
	}
	if f.State != "" {
		add("c.state = $%d", string(f.State))
	}
	if f.Missed {
		add("c.missed = $%d", true)
		where = append(where, "c.called_back_at = 0")
	}
	if f.Before != 0 {
		add("c.message_id < $%d", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT m.meta, COALESCE(co.name, ''), t.number FROM calls c JOIN messages m ON m.id = c.message_id
		JOIN tickets t ON t.id = c.ticket_id LEFT JOIN contacts co ON co.id = c.contact_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY c.message_id DESC LIMIT %d", f.Limit)
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("calls: %w", err)
	}
	defer rows.Close()
	var out []CallRow
	for rows.Next() {
		var meta string
		r := CallRow{Call: &domain.Call{}}
		if err := rows.Scan(&meta, &r.ContactName, &r.TicketNumber); err != nil {
			return nil, fmt.Errorf("calls: %w", err)
		}
		if err := json.Unmarshal([]byte(meta), r.Call); err != nil {
			return nil, fmt.Errorf("decode call: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Busy is an agent taken by a call until Until (domain.Call.FreeAt).
type Busy struct {
	AgentID int64
	Until   int64
}

// BusyAgents lists the agents on a call or in its wrap-up at now, each
// with when its last call frees it (domain.Call.FreeAt).
func (s *Store) BusyAgents(ctx context.Context, now int64) ([]Busy, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT agent_id, MAX(CASE WHEN state = 'answered' THEN answered_at + $2 ELSE busy_until END) AS until
		 FROM calls WHERE agent_id <> 0 AND ((state = 'answered' AND answered_at + $2 > $1) OR busy_until > $1)
		 GROUP BY agent_id`, now, domain.CallStale.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("busy agents: %w", err)
	}
	defer rows.Close()
	var out []Busy
	for rows.Next() {
		var b Busy
		if err := rows.Scan(&b.AgentID, &b.Until); err != nil {
			return nil, fmt.Errorf("busy agents: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// AgentsByPhone returns the enabled agents a telephone system names: by
// phone (extension or number), e-mail or name, in the order of names.
func (s *Store) AgentsByPhone(ctx context.Context, names []string) ([]*domain.Agent, error) {
	var out []*domain.Agent
	seen := map[int64]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		a, err := scanAgent(s.q.QueryRowContext(ctx,
			`SELECT `+agentColumns+` FROM agents WHERE NOT disabled AND (phone = $1 OR email = $2 OR name = $1)
			 ORDER BY CASE WHEN phone = $1 THEN 0 WHEN email = $2 THEN 1 ELSE 2 END, id LIMIT 1`, n, strings.ToLower(n)))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("agent by phone %q: %w", n, err)
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// Reachable lists a team's enabled, online agents with a phone who are not
// on a call or in its wrap-up at now, the one whose last call ended
// longest ago first.
func (s *Store) Reachable(ctx context.Context, teamID, now, since int64) ([]*domain.Agent, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT `+prefixed("a.", agentColumns)+` FROM agents a JOIN team_members tm ON tm.agent_id = a.id
		 WHERE tm.team_id = $1 AND NOT a.disabled AND a.presence = 'online' AND a.phone <> ''
		 AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.agent_id = a.id AND ((c.state = 'answered' AND c.answered_at >= $3) OR c.busy_until > $2))
		 ORDER BY (SELECT COALESCE(MAX(c.ended_at), 0) FROM calls c WHERE c.agent_id = a.id), a.id`, teamID, now, since)
	if err != nil {
		return nil, fmt.Errorf("reachable agents of team %d: %w", teamID, err)
	}
	defer rows.Close()
	var out []*domain.Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("reachable agents: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = p + c
	}
	return strings.Join(cols, ", ")
}

// OpenTicketTags returns the tags on a contact's tickets that are not
// solved or closed.
func (s *Store) OpenTicketTags(ctx context.Context, contactID int64) ([]string, error) {
	rows, err := s.rq.QueryContext(ctx,
		`SELECT DISTINCT tt.tag FROM ticket_tags tt JOIN tickets t ON t.id = tt.ticket_id
		 WHERE t.contact_id = $1 AND t.status IN ('new', 'open', 'pending') ORDER BY tt.tag`, contactID)
	if err != nil {
		return nil, fmt.Errorf("open ticket tags of contact %d: %w", contactID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tag string
		if err := rows.Scan(&tag); err != nil {
			return nil, fmt.Errorf("open ticket tags: %w", err)
		}
		out = append(out, tag)
	}
	return out, rows.Err()
}

// CallFact is what the calls report needs of one call.
type CallFact struct {
	ChannelID, TeamID, AgentID     int64
	Direction                      domain.Direction
	State                          domain.CallState
	Cause                          domain.CallCause
	Missed                         bool
	StartedAt, AnsweredAt, EndedAt int64
}

// CallFacts returns the calls and callback requests started in the
// filter's period; the agent filter is who answered or placed the call.
func (s *Store) CallFacts(ctx context.Context, f ReportFilter) ([]CallFact, error) {
	agent := f.AgentID
	f.AgentID = 0
	cond, args := f.where("c.channel_id", false)
	if agent != 0 {
		args = append(args, agent)
		cond += fmt.Sprintf(" AND c.agent_id = $%d", len(args))
	}
	n := len(args)
	q := fmt.Sprintf(`SELECT c.channel_id, COALESCE(t.team_id, 0), c.agent_id, c.direction, c.state, c.cause, c.missed,
		c.started_at, c.answered_at, c.ended_at
		FROM calls c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.started_at >= $%d AND c.started_at < $%d%s`, n+1, n+2, cond)
	rows, err := s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("call facts: %w", err)
	}
	defer rows.Close()
	var out []CallFact
	for rows.Next() {
		var c CallFact
		if err := rows.Scan(&c.ChannelID, &c.TeamID, &c.AgentID, &c.Direction, &c.State, &c.Cause, &c.Missed,
			&c.StartedAt, &c.AnsweredAt, &c.EndedAt); err != nil {
			return nil, fmt.Errorf("call facts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
