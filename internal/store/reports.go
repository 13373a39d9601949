package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// ReportFilter selects what a report counts: tickets created (messages
// sent or received) in [From, To), Unix ms, narrowed by the non-zero
// fields. ChannelID narrows messages by their own channel, tickets by
// theirs; TeamID, AgentID (the assignee) and Tag narrow by the ticket.
type ReportFilter struct {
	From, To  int64
	ChannelID int64
	TeamID    int64
	AgentID   int64
	Tag       string
}

// VolumeBucketMs is the width of the buckets VolumeCounts groups by: a
// quarter of an hour, so that every time zone's hours and days are whole
// buckets.
const VolumeBucketMs int64 = 15 * 60 * 1000

// VolumeCount is what happened in one bucket on one channel and team.
type VolumeCount struct {
	At        int64 // the bucket's start, Unix ms
	ChannelID int64
	TeamID    int64
	Tickets   int64 // tickets created
	In, Out   int64 // customer messages received and sent
}

// where is the condition on tickets t (and channelColumn) for f, with its arguments
// numbered from $1; the caller adds the time range. With byTime the
// ticket's team is compared as an expression (unary plus), so that the
// planner walks the period's rows by time instead of all of a team's
// tickets through its index: the hourly rollup leaves the message query
// only part hours, which this makes take microseconds instead of a second.
func (f ReportFilter) where(channelColumn string, byTime bool) (string, []any) {
	team := "t.team_id"
	if byTime {
		team = "+t.team_id"
	}
	var cond string
	var args []any
	add := func(c string, v any) {
		args = append(args, v)
		cond += " AND " + c + " = $" + strconv.Itoa(len(args))
	}
	if f.ChannelID != 0 {
		add(channelColumn, f.ChannelID)
	}
	if f.TeamID != 0 {
		add(team, f.TeamID)
	}
	if f.AgentID != 0 {
		add("t.assignee_id", f.AgentID)
	}
	if f.Tag != "" {
		args = append(args, f.Tag)
		cond += " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = $" + strconv.Itoa(len(args)) + ")"
	}
	return cond, args
}

// VolumeCounts counts tickets created and customer messages in and out per
// quarter hour, channel and team. Tickets are found by tickets_created,
// messages by messages_created.
func (s *Store) VolumeCounts(ctx context.Context, f ReportFilter) ([]VolumeCount, error) {
	byKey := map[[3]int64]*VolumeCount{}
	var out []VolumeCount
	get := func(at, ch, team int64) *VolumeCount {
		k := [3]int64{at, ch, team}
		if c, ok := byKey[k]; ok {
			return c
		}
		c := &VolumeCount{At: at, ChannelID: ch, TeamID: team}
		byKey[k] = c
		return c
	}
	cond, args := f.where("t.channel_id", false)
	n := len(args)
	q := fmt.Sprintf(`SELECT t.created_at / %d, COALESCE(t.channel_id, 0), COALESCE(t.team_id, 0), COUNT(*)
		FROM tickets t WHERE t.created_at >= $%d AND t.created_at < $%d%s GROUP BY 1, 2, 3`, VolumeBucketMs, n+1, n+2, cond)
	rows, err := s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("ticket volume: %w", err)
	}
	for rows.Next() {
		var at, ch, team, count int64
		if err := rows.Scan(&at, &ch, &team, &count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ticket volume: %w", err)
		}
		get(at*VolumeBucketMs, ch, team).Tickets += count
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket volume: %w", err)
	}
	cond, args = f.where("m.channel_id", true)
	n = len(args)
	q = fmt.Sprintf(`SELECT m.created_at / %d, COALESCE(m.channel_id, 0), COALESCE(t.team_id, 0), m.direction, COUNT(*)
		FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE m.created_at >= $%d AND m.created_at < $%d AND m.kind = 'message' AND m.direction IN ('in', 'out')%s
		GROUP BY 1, 2, 3, 4`, VolumeBucketMs, n+1, n+2, cond)
	rows, err = s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("message volume: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at, ch, team, count int64
		var dir string
		if err := rows.Scan(&at, &ch, &team, &dir, &count); err != nil {
			return nil, fmt.Errorf("message volume: %w", err)
		}
		c := get(at*VolumeBucketMs, ch, team)
		if dir == "in" {
			c.In += count
		} else {
			c.Out += count
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("message volume: %w", err)
	}
	for _, c := range byKey {
		out = append(out, *c)
	}
	return out, nil
}

// TicketFact is what the reports read of one ticket.
type TicketFact struct {
	ID, Number      int64
	ChannelID       int64
	TeamID          int64
	AgentID         int64
	Status          string
	CreatedAt       int64
	FirstCustomerAt int64
	FirstResponseAt int64
	SolvedAt        int64
	SLAPolicy       string
	SLABreaches     int64 // bits: 1 first response, 2 next response, 4 resolution
	SLABreached     bool  // a running target is breached now
	Reopens         int64
	BotState        string
	CSATScore       int
	// AgentReplies counts the agents' replies to the customer up to 2,
	// enough to tell one touch from more: the first and the last agent
	// reply are the same one when there was one.
	AgentReplies int
}

// TicketFacts returns the facts of the tickets created in the filter's
// period (found by tickets_created), oldest first.
func (s *Store) TicketFacts(ctx context.Context, f ReportFilter) ([]TicketFact, error) {
	cond, args := f.where("t.channel_id", false)
	n := len(args)
	q := fmt.Sprintf(`SELECT t.id, t.number, COALESCE(t.channel_id, 0), COALESCE(t.team_id, 0), COALESCE(t.assignee_id, 0), t.status,
		t.created_at, t.first_customer_at, t.first_response_at, t.solved_at, t.sla_policy, t.sla_breaches, t.sla_breached,
		t.reopens, t.bot_state, t.csat_score,
		CASE WHEN t.first_response_at = 0 THEN 0 WHEN t.last_agent_at = t.first_response_at THEN 1 ELSE 2 END
		FROM tickets t WHERE t.created_at >= $%d AND t.created_at < $%d%s ORDER BY t.created_at, t.id`, n+1, n+2, cond)
	rows, err := s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("ticket facts: %w", err)
	}
	defer rows.Close()
	var out []TicketFact
	for rows.Next() {
		var t TicketFact
		if err := rows.Scan(&t.ID, &t.Number, &t.ChannelID, &t.TeamID, &t.AgentID, &t.Status, &t.CreatedAt, &t.FirstCustomerAt,
			&t.FirstResponseAt, &t.SolvedAt, &t.SLAPolicy, &t.SLABreaches, &t.SLABreached, &t.Reopens, &t.BotState,
			&t.CSATScore, &t.AgentReplies); err != nil {
			return nil, fmt.Errorf("ticket facts: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CountReopen records that a solved ticket was opened again.
func (s *Store) CountReopen(ctx context.Context, ticketID int64) error {
	if _, err := s.q.ExecContext(ctx, "UPDATE tickets SET reopens = reopens + 1 WHERE id = $1", ticketID); err != nil {
		return fmt.Errorf("count reopen of ticket %d: %w", ticketID, err)
	}
	return nil
}

// RecordSLABreach keeps, for good, that the SLA targets in bits (see
// TicketFact.SLABreaches) were breached on a ticket.
func (s *Store) RecordSLABreach(ctx context.Context, ticketID, bits int64) error {
	if _, err := s.q.ExecContext(ctx, "UPDATE tickets SET sla_breaches = sla_breaches | $2 WHERE id = $1", ticketID, bits); err != nil {
		return fmt.Errorf("record sla breach of ticket %d: %w", ticketID, err)
	}
	return nil
}

// HourMs is the width of the rows of the hourly rollup (report_hours).
const HourMs int64 = 3600 * 1000

// HourCounts returns the volume per hour, channel and team from the hourly
// rollup, with the deltas not yet folded, for f's period, which must start
// and end on whole hours (UTC). It narrows by ChannelID and TeamID only:
// the rollup has no assignee or tag.
func (s *Store) HourCounts(ctx context.Context, f ReportFilter) ([]VolumeCount, error) {
	if f.From%HourMs != 0 || f.To%HourMs != 0 || f.AgentID != 0 || f.Tag != "" {
		return nil, fmt.Errorf("hour counts: the period must be whole hours and only channel and team narrow it")
	}
	cond, args := "", []any{f.From, f.To}
	if f.ChannelID != 0 {
		args = append(args, f.ChannelID)
		cond += " AND channel_id = $" + strconv.Itoa(len(args))
	}
	if f.TeamID != 0 {
		args = append(args, f.TeamID)
		cond += " AND team_id = $" + strconv.Itoa(len(args))
	}
	cols := "hour, channel_id, team_id, tickets, messages_in, messages_out"
	q := `SELECT hour, channel_id, team_id, SUM(tickets), SUM(messages_in), SUM(messages_out) FROM (
		SELECT ` + cols + ` FROM report_hours WHERE hour >= $1 AND hour < $2` + cond + `
		UNION ALL SELECT ` + cols + ` FROM report_hour_deltas WHERE hour >= $1 AND hour < $2` + cond + `
	) x GROUP BY hour, channel_id, team_id HAVING SUM(tickets) <> 0 OR SUM(messages_in) <> 0 OR SUM(messages_out) <> 0`
	rows, err := s.rq.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("hour counts: %w", err)
	}
	defer rows.Close()
	var out []VolumeCount
	for rows.Next() {
		var c VolumeCount
		if err := rows.Scan(&c.At, &c.ChannelID, &c.TeamID, &c.Tickets, &c.In, &c.Out); err != nil {
			return nil, fmt.Errorf("hour counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// foldBatch bounds the deltas one fold transaction takes.
const foldBatch = 20000

// FoldReportHours adds the deltas the triggers appended into the hourly
// rollup and removes them, in transactions of at most foldBatch deltas,
// and returns how many it folded. A delta is removed by the transaction
// that adds it, so none is counted twice or lost, even when two nodes fold
// at once; counters are updated in key order, so two folds never deadlock.
func (s *Store) FoldReportHours(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.foldReportHours(ctx)
		total += n
		if err != nil || n < foldBatch {
			return total, err
		}
	}
}

func (s *Store) foldReportHours(ctx context.Context) (int, error) {
	type key struct{ hour, channel, team int64 }
	n := 0
	err := s.Tx(ctx, func(tx *Store) error {
		rows, err := tx.q.QueryContext(ctx, `DELETE FROM report_hour_deltas WHERE id IN
			(SELECT id FROM report_hour_deltas ORDER BY id LIMIT $1)
			RETURNING hour, channel_id, team_id, tickets, messages_in, messages_out`, foldBatch)
		if err != nil {
			return err
		}
		sums := map[key]*VolumeCount{}
		for rows.Next() {
			var c VolumeCount
			if err := rows.Scan(&c.At, &c.ChannelID, &c.TeamID, &c.Tickets, &c.In, &c.Out); err != nil {
				rows.Close()
				return err
			}
			n++
			k := key{c.At, c.ChannelID, c.TeamID}
			if sum := sums[k]; sum != nil {
				sum.Tickets, sum.In, sum.Out = sum.Tickets+c.Tickets, sum.In+c.In, sum.Out+c.Out
			} else {
				sums[k] = &c
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		keys := slices.SortedFunc(maps.Keys(sums), func(a, b key) int {
			return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.channel, b.channel), cmp.Compare(a.team, b.team))
		})
		for _, k := range keys {
			c := sums[k]
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO report_hours (hour, channel_id, team_id, tickets, messages_in, messages_out)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hour, channel_id, team_id) DO UPDATE SET
				tickets = report_hours.tickets + excluded.tickets, messages_in = report_hours.messages_in + excluded.messages_in,
				messages_out = report_hours.messages_out + excluded.messages_out`,
				c.At, c.ChannelID, c.TeamID, c.Tickets, c.In, c.Out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("fold report hours: %w", err)
	}
	return n, nil
}

// moveReportCounts moves a ticket's counts in the hourly rollup, as
// deltas, from team from to team to (0: none): the ticket under its own
// channel and creation hour, its customer messages under theirs. This is
// done here rather than by a trigger because SQLite would compile the
// trigger's program into every ticket update, doubling its cost.
func (s *Store) moveReportCounts(ctx context.Context, ticketID, from, to int64) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO report_hour_deltas (hour, channel_id, team_id, tickets, messages_in, messages_out)
		SELECT t.created_at / 3600000 * 3600000, COALESCE(t.channel_id, 0), x.team, x.sign, 0, 0
		FROM tickets t, (SELECT CAST($2 AS BIGINT) AS team, -1 AS sign UNION ALL SELECT CAST($3 AS BIGINT), 1) x WHERE t.id = $1
		UNION ALL
		SELECT m.created_at / 3600000 * 3600000, COALESCE(m.channel_id, 0), x.team, 0,
			x.sign * SUM(CASE WHEN m.direction = 'in' THEN 1 ELSE 0 END), x.sign * SUM(CASE WHEN m.direction = 'out' THEN 1 ELSE 0 END)
		FROM messages m, (SELECT CAST($2 AS BIGINT) AS team, -1 AS sign UNION ALL SELECT CAST($3 AS BIGINT), 1) x
		WHERE m.ticket_id = $1 AND m.kind = 'message' AND m.direction IN ('in', 'out')
		GROUP BY 1, 2, x.team, x.sign`, ticketID, from, to)
	if err != nil {
		return fmt.Errorf("move report counts of ticket %d: %w", ticketID, err)
	}
	return nil
}

// NextResponse is one agent reply, after the first, to a customer who
// wrote since the last one: from the customer's latest message to it.
type NextResponse struct {
	TicketID   int64
	CustomerAt int64
	AgentAt    int64
}

// RecordNextResponse keeps a next response of a ticket.
func (s *Store) RecordNextResponse(ctx context.Context, r NextResponse) error {
	if _, err := s.q.ExecContext(ctx, "INSERT INTO next_responses (ticket_id, customer_at, agent_at) VALUES ($1, $2, $3)",
		r.TicketID, r.CustomerAt, r.AgentAt); err != nil {
		return fmt.Errorf("record next response of ticket %d: %w", r.TicketID, err)
	}
	return nil
}

// NextResponses returns the next responses of the tickets created in the
// filter's period (found by tickets_created, or tickets_team_created).
func (s *Store) NextResponses(ctx context.Context, f ReportFilter) ([]NextResponse, error) {
	cond, args := f.where("t.channel_id", false)
	n := len(args)
	q := fmt.Sprintf(`SELECT r.ticket_id, r.customer_at, r.agent_at FROM tickets t JOIN next_responses r ON r.ticket_id = t.id
		WHERE t.created_at >= $%d AND t.created_at < $%d%s`, n+1, n+2, cond)
	rows, err := s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("next responses: %w", err)
	}
	defer rows.Close()
	var out []NextResponse
	for rows.Next() {
		var r NextResponse
		if err := rows.Scan(&r.TicketID, &r.CustomerAt, &r.AgentAt); err != nil {
			return nil, fmt.Errorf("next responses: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HandlingSpan is a span an agent had a ticket open.
type HandlingSpan struct {
	TicketID  int64
	AgentID   int64
	StartedAt int64
	Ms        int64
}

// AddHandling stores spans of handling time, in one transaction.
func (s *Store) AddHandling(ctx context.Context, spans []HandlingSpan) error {
	return s.Tx(ctx, func(tx *Store) error {
		for _, h := range spans {
			if _, err := tx.q.ExecContext(ctx, "INSERT INTO handling (ticket_id, agent_id, started_at, ms) VALUES ($1, $2, $3, $4)",
				h.TicketID, h.AgentID, h.StartedAt, h.Ms); err != nil {
				return fmt.Errorf("handling of ticket %d: %w", h.TicketID, err)
			}
		}
		return nil
	})
}

// HandlingTimes returns, for the tickets created in the filter's period,
// each ticket's handling time in ms: its spans added up.
func (s *Store) HandlingTimes(ctx context.Context, f ReportFilter) (map[int64]int64, error) {
	cond, args := f.where("t.channel_id", false)
	n := len(args)
	q := fmt.Sprintf(`SELECT h.ticket_id, SUM(h.ms) FROM tickets t JOIN handling h ON h.ticket_id = t.id
		WHERE t.created_at >= $%d AND t.created_at < $%d%s GROUP BY h.ticket_id`, n+1, n+2, cond)
	rows, err := s.rq.QueryContext(ctx, q, append(args, f.From, f.To)...)
	if err != nil {
		return nil, fmt.Errorf("handling times: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return nil, fmt.Errorf("handling times: %w", err)
		}
		out[id] = ms
	}
	return out, rows.Err()
}
